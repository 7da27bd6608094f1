"""`pyctl schedule [--dsn] [--status]`: the governance jobs' pg_cron schedule (SPEC §12); see pyctl.governance."""
import click

from pyctl import governance as gov
from pyctl.dsn import connect, resolve_dsn


@click.command("schedule")
@click.option("--status", is_flag=True, help="only show the jobs' health (shq.vw_governance_job_health)")
@click.option("--dsn", envvar="DATABASE_URL", default=None,
              help="database URL (default: DATABASE_URL, else the embedded cluster); must be cron.database_name")
def command(status, dsn):
    """Register the governance jobs with pg_cron, idempotently by name:
    outreach-error-governance-daily, outreach-archive-cleanup-weekly and
    outreach-cron-history-prune-daily (keeps 30 days of cron.job_run_details).
    Creates the pg_cron extension when it can. Jobs run as the connecting
    role. Without pg_cron it exits non-zero saying how to enable it."""
    with connect(resolve_dsn(dsn), autocommit=True, application_name="pyctl schedule") as conn:
        if not status:
            rows = gov.schedule(conn, echo=click.echo)
            for line in gov.table_lines(rows, ["job_name", "job_id", "schedule", "command"]):
                click.echo(line)
            click.echo("")
        for line in gov.job_health_lines(conn):
            click.echo(line)
