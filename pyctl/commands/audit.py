"""`pyctl audit head|seal|verify|guard`: tamper evidence from a shell (see pyctl.tamper)."""
import json
from pathlib import Path

import click

from pyctl.commands import database_url
from pyctl.errors import PyctlError
from pyctl.migrate import not_migrated
from pyctl.output import echo_data, echo_json, format_option, table_lines
from pyctl.tamper import (chain_heads, compare_heads, ddl_guard_status, heads_document, install_ddl_guard,
                          load_heads, seal, verify_seals)


@click.group("audit")
def command():
    """Tamper evidence: the seal chain over the append-only tables and the DDL guard."""


@command.command("head")
@format_option()
def head(fmt):
    """Print the latest chain head of every audited table (store it outside
    the database; `pyctl audit verify --heads FILE` checks it later)."""
    dsn = database_url()
    heads = chain_heads(dsn)
    if fmt == "json":
        click.echo(json.dumps(heads_document(heads, dsn), indent=2))
        return
    for line in table_lines(heads, ["table_name", "seal_id", "last_id", "seals", "rows_sealed", "sealed_at",
                                    "digest"]):
        click.echo(line)


@command.command("seal")
@click.option("--max-wait", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="seconds to wait for transactions that may still hold unsealed ids")
@click.option("--max-rows", type=click.IntRange(min=1), default=250_000, show_default=True,
              help="rows per seal at most")
@format_option()
def seal_cmd(max_wait, max_rows, fmt):
    """Seal every final row not sealed yet (what the scheduled job does)."""
    rows = seal(database_url(), max_wait, max_rows)
    if fmt == "json":
        echo_json(rows)
        return
    if not rows:
        click.echo("nothing to seal")
        return
    for line in table_lines(rows, ["table_name", "seal_id", "first_id", "last_id", "row_count", "digest"]):
        click.echo(line)
    click.echo(f"{len(rows)} seal(s), {sum(r['row_count'] for r in rows)} row(s)")


@command.command("verify")
@click.option("--table", default=None, help="only this audited table (schema-qualified)")
@click.option("--heads", "heads_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="chain heads stored earlier (`pyctl audit head --format json`): each must still be in its chain")
@format_option()
def verify_cmd(table, heads_path, fmt):
    """Recompute every seal; fail on any broken one (and on a stored head
    that is no longer in its chain)."""
    dsn = database_url()
    stored = load_heads(heads_path) if heads_path else None
    rows = verify_seals(dsn, table)
    if stored is not None:
        rows += compare_heads(dsn, stored)
    bad = [r for r in rows if r["status"] != "OK"]
    echo_data(fmt, rows, lambda: table_lines(rows, ["table_name", "seal_id", "status", "detail"]))
    if bad:
        raise PyctlError(f"audit seals: {len(bad)} problem(s): "
                         + "; ".join(f"{r['table_name']} seal {r['seal_id']} {r['status']}" for r in bad))
    if fmt == "text":
        click.echo("audit seals: ok")


@command.command("guard")
@click.option("--install", is_flag=True, help="create or repair the event triggers (needs a superuser)")
@format_option()
def guard_cmd(install, fmt):
    """Show (or --install) the DDL guard's event triggers."""
    dsn = database_url()
    outcome = install_ddl_guard(dsn) if install else None
    rows = ddl_guard_status(dsn)
    installed = len(rows) == 3 and all(r["enabled"] == "A" for r in rows)
    if fmt == "json":
        echo_json({"installed": installed, "install_outcome": outcome, "event_triggers": rows})
    else:
        if outcome is not None:
            click.echo(f"DDL guard: {outcome}")
        if rows:
            for line in table_lines(rows, ["name", "event", "enabled"]):
                click.echo(line)
    if not installed and not_migrated(dsn):
        raise PyctlError(not_migrated(dsn))
    if not installed:
        raise PyctlError("the DDL guard is not fully installed (3 event triggers, ENABLE ALWAYS): a superuser "
                         "runs `pyctl audit guard --install` or SELECT shq.fn_install_ddl_guard()")
    if fmt == "text":
        click.echo("DDL guard: installed (3 event triggers, ENABLE ALWAYS)")
