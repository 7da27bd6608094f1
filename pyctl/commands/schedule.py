"""`pyctl schedule [--status]`: the governance jobs' pg_cron schedule (docs/reference/governance.md); see pyctl.governance."""
import re

import click

from pyctl import governance as gov
from pyctl.commands import database_url
from pyctl.dsn import connect
from pyctl.output import echo_data, echo_json, format_option, table_lines
from pyctl.resources import SQL_ROOT

#: where the database defines its jobs (the one list scheduling and health read)
JOB_SPECS = SQL_ROOT / "functions" / "shq" / "_governance_job_specs.sql"


def defined_jobs() -> list[tuple[str, str]]:
    """(name, cron schedule) of every job the database defines, read from the
    source of shq._governance_job_specs() so that --help needs no database."""
    try:
        text = JOB_SPECS.read_text()
    except OSError:
        return []
    return re.findall(r"'(outreach-[a-z0-9-]+)',\s*'([^']+)'", text)


def _help() -> str:
    jobs = "\n".join(f"  {name:<36} {cron}" for name, cron in defined_jobs()) or "  (job definitions not found)"
    return ("Register the governance core's pg_cron jobs, idempotently by name (schedules in GMT):\n\n\b\n"
            f"{jobs}\n\n"
            "Creates the pg_cron extension when it "
            "can. Jobs run as the connecting role. The database must be pg_cron's (cron.database_name). "
            "Without pg_cron it exits non-zero saying how to enable it. Then prints the jobs' health, which "
            "--status prints alone.")


@click.command("schedule", help=_help())
@click.option("--status", is_flag=True, help="only show the jobs' health (shq.vw_governance_job_health)")
@click.option("--if-needed", is_flag=True,
              help="change nothing (and write no GOVERNANCE_JOBS_SCHEDULED audit row) when every job is already "
                   "registered as defined; `make demo` uses it")
@format_option()
def command(status, if_needed, fmt):
    with connect(database_url(), autocommit=True, application_name="pyctl schedule") as conn:
        if not status and if_needed and gov.scheduled_as_defined(conn):
            click.echo("schedule: every job is already registered as defined; nothing changed",
                       err=fmt == "json")
            status = True
        scheduled = None if status else gov.schedule(conn, echo=lambda m: click.echo(m, err=fmt == "json"))
        if fmt == "json":
            echo_json({"scheduled": scheduled, "health": gov.job_health(conn)})
            return
        if scheduled is not None:
            echo_data(fmt, None, table_lines(scheduled, ["job_name", "job_id", "schedule", "command"]) + [""])
        echo_data(fmt, None, gov.job_health_lines(conn))
