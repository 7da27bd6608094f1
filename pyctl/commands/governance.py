"""`pyctl governance run|archive|cleanup|summary|blocking|health|archive-error|resolve|unpark`:
error governance (SPEC §7) from a shell; see pyctl.governance."""
import click

from pyctl import governance as gov
from pyctl.dsn import connect, resolve_dsn

DSN_HELP = "database URL (default: DATABASE_URL, else the embedded cluster)"


def dsn_option(fn):
    return click.option("--dsn", envvar="DATABASE_URL", default=None, help=DSN_HELP)(fn)


def _connect(ctx, dsn):
    """--dsn of the subcommand, else of the group (`pyctl governance --dsn URL run`), else DATABASE_URL."""
    from click.core import ParameterSource

    if ctx.get_parameter_source("dsn") is not ParameterSource.COMMANDLINE and ctx.parent is not None \
            and ctx.parent.get_parameter_source("dsn") is ParameterSource.COMMANDLINE:
        dsn = ctx.parent.params["dsn"]
    return connect(resolve_dsn(dsn), autocommit=True, application_name="pyctl governance")


def _echo(lines):
    for line in lines:
        click.echo(line)


@click.group("governance")
@dsn_option
@click.pass_context
def command(ctx, dsn):
    """Error governance: the daily jobs now, TTL archiving, cleanup, the
    summary views, and operator actions on one error (audited)."""
    # each subcommand resolves --dsn itself (see _connect)


@command.command("run")
@dsn_option
@click.pass_context
def run(ctx, dsn):
    """Run shq.fn_run_error_governance_jobs() now: park exhausted retries,
    archive expired errors, escalate stale parked ones (one transaction, one
    ERROR_GOVERNANCE_RUN audit row)."""
    with _connect(ctx, dsn) as conn:
        _echo(gov.run_lines(gov.run_jobs(conn)))


@command.command("archive")
@click.option("--batch-size", type=click.IntRange(min=1), default=gov.DEFAULT_BATCH_SIZE, show_default=True,
              help="rows per batch (each batch is its own committed transaction)")
@click.option("--max-batches", type=click.IntRange(min=1), default=None,
              help="stop after this many rounds (default: until nothing is left)")
@dsn_option
@click.pass_context
def archive(ctx, batch_size, max_batches, dsn):
    """TTL archiving only, committing after every batch: for a large backlog,
    where one `governance run` transaction would hold its row locks too long."""
    with _connect(ctx, dsn) as conn:
        totals = gov.archive_expired(conn, batch_size, max_batches, echo=click.echo)
    _echo(gov.table_lines([{"table_name": t, "archived": n} for t, n in totals.items()],
                          ["table_name", "archived"]))
    click.echo(f"total archived: {sum(totals.values())}")


@command.command("cleanup")
@dsn_option
@click.pass_context
def cleanup(ctx, dsn):
    """Delete archive rows past their retention (shq.fn_cleanup_expired_archives())."""
    with _connect(ctx, dsn) as conn:
        _echo(gov.table_lines(gov.cleanup_archives(conn), ["table_name", "affected"]))


@command.command("summary")
@dsn_option
@click.pass_context
def summary(ctx, dsn):
    """shq.vw_error_governance_summary: errors per table and disposition."""
    with _connect(ctx, dsn) as conn:
        _echo(gov.table_lines(gov.summary(conn),
                              ["table_name", "disposition", "errors", "oldest", "max_escalation_level"]))


@command.command("blocking")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@dsn_option
@click.pass_context
def blocking(ctx, limit, dsn):
    """shq.vw_blocking_errors_by_outreach: companies held back by RETRY/PARKED errors, most escalated first."""
    with _connect(ctx, dsn) as conn:
        _echo(gov.table_lines(gov.blocking(conn, limit), ["outreach_id", "table_name", "blocking_errors",
                                                           "max_escalation_level", "oldest_blocking_at"]))


@command.command("health")
@dsn_option
@click.pass_context
def health(ctx, dsn):
    """shq.vw_governance_job_health: the pg_cron jobs' last runs, failures, overdue."""
    with _connect(ctx, dsn) as conn:
        _echo(gov.job_health_lines(conn))


def _manual(action, help_text):
    @click.argument("table")
    @click.argument("error_id", type=int)
    @click.option("--reason", required=True, help="why (goes to shq.audit_log)")
    @click.option("--actor", required=True, help="who is acting (goes to shq.audit_log)")
    @dsn_option
    @click.pass_context
    def cmd(ctx, table, error_id, reason, actor, dsn):
        with _connect(ctx, dsn) as conn:
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
