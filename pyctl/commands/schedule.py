"""`pyctl schedule [--status]`: the governance jobs' pg_cron schedule (SPEC §12); see pyctl.governance."""
import click

from pyctl import governance as gov
from pyctl.commands import database_url
from pyctl.dsn import connect


@click.command("schedule")
@click.option("--status", is_flag=True, help="only show the jobs' health (shq.vw_governance_job_health)")
def command(status):
    """Register the governance jobs with pg_cron, idempotently by name:
    outreach-error-governance-daily, outreach-archive-cleanup-weekly and
    outreach-cron-history-prune-daily (keeps 30 days of cron.job_run_details).
    Creates the pg_cron extension when it can. Jobs run as the connecting
    role. The database must be pg_cron's (cron.database_name). Without
    pg_cron it exits non-zero saying how to enable it."""
    with connect(database_url(), autocommit=True, application_name="pyctl schedule") as conn:
        if not status:
            rows = gov.schedule(conn, echo=click.echo)
            for line in gov.table_lines(rows, ["job_name", "job_id", "schedule", "command"]):
                click.echo(line)
            click.echo("")
        for line in gov.job_health_lines(conn):
            click.echo(line)
