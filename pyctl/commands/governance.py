"""`pyctl governance run|archive|cleanup|summary|blocking|health|archive-error|resolve|unpark`:
error governance (docs/reference/governance.md) from a shell; see pyctl.governance."""
import click

from pyctl import governance as gov
from pyctl.commands import database_url
from pyctl.dsn import connect
from pyctl.output import echo_data, format_option, table_lines


def _connect():
    return connect(database_url(), autocommit=True, application_name="pyctl governance")


@click.group("governance")
def command():
    """Error governance: the daily jobs now, TTL archiving, cleanup, the
    summary views, and operator actions on one error (audited)."""


@command.command("run")
@format_option()
def run(fmt):
    """Run shq.fn_run_error_governance_jobs() now: park exhausted retries,
    archive expired errors, escalate stale parked ones (one transaction, one
    ERROR_GOVERNANCE_RUN audit row)."""
    with _connect() as conn:
        rows = gov.run_jobs(conn)
    echo_data(fmt, rows, lambda: gov.run_lines(rows))


@command.command("archive")
@click.option("--batch-size", type=click.IntRange(min=1), default=gov.DEFAULT_BATCH_SIZE, show_default=True,
              help="rows per batch (each batch is its own committed transaction)")
@click.option("--max-batches", type=click.IntRange(min=1), default=None,
              help="stop after this many rounds (default: until nothing is left)")
@format_option()
def archive(batch_size, max_batches, fmt):
    """TTL archiving only, committing after every batch: for a large backlog,
    where one `governance run` transaction would hold its row locks too long."""
    with _connect() as conn:
        totals = gov.archive_expired(conn, batch_size, max_batches,
                                     echo=(lambda line: click.echo(line, err=True)) if fmt == "json" else click.echo)
    rows = [{"table_name": t, "archived": n} for t, n in totals.items()]
    echo_data(fmt, rows, lambda: table_lines(rows, ["table_name", "archived"])
              + [f"total archived: {sum(totals.values())}"])


@command.command("cleanup")
@format_option()
def cleanup(fmt):
    """Delete archive rows past their retention (shq.fn_cleanup_expired_archives())."""
    with _connect() as conn:
        rows = gov.cleanup_archives(conn)
    echo_data(fmt, rows, lambda: table_lines(rows, ["table_name", "affected"]))


@command.command("summary")
@format_option()
def summary(fmt):
    """Errors per governed table: the live ones by disposition
    (shq.vw_error_governance_summary) and those moved to the table's archive
    (shq.fn_error_archive_summary()), so the total of a table does not drop
    when a governance run archives errors."""
    with _connect() as conn:
        report = gov.summary_report(conn)
    names = [c for c in report["totals"][0] if c not in ("table_name", "in_archive", "total")] \
        if report["totals"] else []

    def lines():
        out = table_lines(report["totals"], ["table_name", *names, "in_archive", "total"],
                          headers=["table_name", *names, "in archive", "total"])
        out.append(f"live errors: {sum(r['errors'] for r in report['live'])}, in the archives: "
                   f"{sum(r['archived'] for r in report['archive'])}")
        return out
    echo_data(fmt, report, lines)


@command.command("blocking")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@format_option()
def blocking(limit, fmt):
    """shq.vw_blocking_errors_by_outreach: companies held back by RETRY/PARKED errors, most escalated first."""
    with _connect() as conn:
        rows = gov.blocking(conn, limit)
    echo_data(fmt, rows, lambda: table_lines(
        rows, ["outreach_id", "table_name", "blocking_errors", "max_escalation_level", "oldest_blocking_at"],
        headers=["outreach_id", "table_name", "blocking", "escalation", "oldest blocking"]))


@command.command("health")
@format_option()
def health(fmt):
    """shq.vw_governance_job_health: the pg_cron jobs' last runs, failures, overdue."""
    with _connect() as conn:
        if fmt == "json":
            echo_data(fmt, gov.job_health(conn), [])
        else:
            echo_data(fmt, None, gov.job_health_lines(conn))


def _manual(action, help_text):
    @click.argument("table")
    @click.argument("error_id", type=int)
    @click.option("--reason", required=True, help="why (goes to shq.audit_log)")
    @click.option("--actor", required=True, help="who is acting (goes to shq.audit_log)")
    @format_option()
    def cmd(table, error_id, reason, actor, fmt):
        with _connect() as conn:
            disposition = gov.manual_action(conn, action, table, error_id, reason, actor)
        echo_data(fmt, {"table_name": table, "error_id": error_id, "disposition": disposition},
                  [f"{table} error {error_id}: {disposition}"])
    cmd.__doc__ = help_text
    return cmd


command.command("archive-error")(_manual(
    "archive", "Move error ERROR_ID of TABLE (e.g. outreach.dol_errors) to its archive now (reason MANUAL)."))
command.command("resolve")(_manual(
    "resolve", "Mark error ERROR_ID of TABLE RESOLVED (from RETRY, PARKED or IGNORE)."))
command.command("unpark")(_manual(
    "unpark", "Send PARKED error ERROR_ID of TABLE back to RETRY with its retry count reset."))
