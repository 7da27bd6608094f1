"""`pyctl governance run|archive|cleanup|summary|blocking|health|archive-error|resolve|unpark`:
error governance (SPEC §7) from a shell; see pyctl.governance."""
import click

from pyctl import governance as gov
from pyctl.commands import database_url
from pyctl.dsn import connect


def _connect():
    return connect(database_url(), autocommit=True, application_name="pyctl governance")


def _echo(lines):
    for line in lines:
        click.echo(line)


@click.group("governance")
def command():
    """Error governance: the daily jobs now, TTL archiving, cleanup, the
    summary views, and operator actions on one error (audited)."""


@command.command("run")
def run():
    """Run shq.fn_run_error_governance_jobs() now: park exhausted retries,
    archive expired errors, escalate stale parked ones (one transaction, one
    ERROR_GOVERNANCE_RUN audit row)."""
    with _connect() as conn:
        _echo(gov.run_lines(gov.run_jobs(conn)))


@command.command("archive")
@click.option("--batch-size", type=click.IntRange(min=1), default=gov.DEFAULT_BATCH_SIZE, show_default=True,
              help="rows per batch (each batch is its own committed transaction)")
@click.option("--max-batches", type=click.IntRange(min=1), default=None,
              help="stop after this many rounds (default: until nothing is left)")
def archive(batch_size, max_batches):
    """TTL archiving only, committing after every batch: for a large backlog,
    where one `governance run` transaction would hold its row locks too long."""
    with _connect() as conn:
        totals = gov.archive_expired(conn, batch_size, max_batches, echo=click.echo)
    _echo(gov.table_lines([{"table_name": t, "archived": n} for t, n in totals.items()],
                          ["table_name", "archived"]))
    click.echo(f"total archived: {sum(totals.values())}")


@command.command("cleanup")
def cleanup():
    """Delete archive rows past their retention (shq.fn_cleanup_expired_archives())."""
    with _connect() as conn:
        _echo(gov.table_lines(gov.cleanup_archives(conn), ["table_name", "affected"]))


@command.command("summary")
def summary():
    """shq.vw_error_governance_summary: errors per table and disposition."""
    with _connect() as conn:
        _echo(gov.table_lines(gov.summary(conn),
                              ["table_name", "disposition", "errors", "oldest", "max_escalation_level"]))


@command.command("blocking")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def blocking(limit):
    """shq.vw_blocking_errors_by_outreach: companies held back by RETRY/PARKED errors, most escalated first."""
    with _connect() as conn:
        _echo(gov.table_lines(gov.blocking(conn, limit), ["outreach_id", "table_name", "blocking_errors",
                                                           "max_escalation_level", "oldest_blocking_at"]))


@command.command("health")
def health():
    """shq.vw_governance_job_health: the pg_cron jobs' last runs, failures, overdue."""
    with _connect() as conn:
        _echo(gov.job_health_lines(conn))


def _manual(action, help_text):
    @click.argument("table")
    @click.argument("error_id", type=int)
    @click.option("--reason", required=True, help="why (goes to shq.audit_log)")
    @click.option("--actor", required=True, help="who is acting (goes to shq.audit_log)")
    def cmd(table, error_id, reason, actor):
        with _connect() as conn:
            disposition = gov.manual_action(conn, action, table, error_id, reason, actor)
        click.echo(f"{table} error {error_id}: {disposition}")
    cmd.__doc__ = help_text
    return cmd


command.command("archive-error")(_manual(
    "archive", "Move error ERROR_ID of TABLE (e.g. outreach.dol_errors) to its archive now (reason MANUAL)."))
command.command("resolve")(_manual(
    "resolve", "Mark error ERROR_ID of TABLE RESOLVED (from RETRY, PARKED or IGNORE)."))
command.command("unpark")(_manual(
    "unpark", "Send PARKED error ERROR_ID of TABLE back to RETRY with its retry count reset."))
