"""`pyctl audit head|seal|verify|guard`: tamper evidence from a shell (see pyctl.tamper)."""
import json
from pathlib import Path

import click

from pyctl.commands import database_url
from pyctl.errors import PyctlError
from pyctl.tamper import (chain_heads, compare_heads, ddl_guard_status, heads_document, install_ddl_guard,
                          load_heads, seal, table_lines, verify_seals)


@click.group("audit")
def command():
    """Tamper evidence: the seal chain over the append-only tables and the DDL guard."""


@command.command("head")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
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
def seal_cmd(max_wait, max_rows):
    """Seal every final row not sealed yet (what the scheduled job does)."""
    rows = seal(database_url(), max_wait, max_rows)
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
def verify_cmd(table, heads_path):
    """Recompute every seal; fail on any broken one (and on a stored head
    that is no longer in its chain)."""
    dsn = database_url()
    stored = load_heads(heads_path) if heads_path else None
    rows = verify_seals(dsn, table)
    if stored is not None:
        rows += compare_heads(dsn, stored)
    for line in table_lines(rows, ["table_name", "seal_id", "status", "detail"]):
        click.echo(line)
    bad = [r for r in rows if r["status"] != "OK"]
    if bad:
        raise PyctlError(f"audit seals: {len(bad)} problem(s): "
                         + "; ".join(f"{r['table_name']} seal {r['seal_id']} {r['status']}" for r in bad))
    click.echo("audit seals: ok")


@command.command("guard")
@click.option("--install", is_flag=True, help="create or repair the event triggers (needs a superuser)")
def guard_cmd(install):
    """Show (or --install) the DDL guard's event triggers."""
    dsn = database_url()
    if install:
        outcome = install_ddl_guard(dsn)
        click.echo(f"DDL guard: {outcome}")
    rows = ddl_guard_status(dsn)
    if rows:
        for line in table_lines(rows, ["name", "event", "enabled"]):
            click.echo(line)
    if len(rows) != 3 or any(r["enabled"] != "A" for r in rows):
        raise PyctlError("the DDL guard is not fully installed (3 event triggers, ENABLE ALWAYS): a superuser "
                         "runs `pyctl audit guard --install` or SELECT shq.fn_install_ddl_guard()")
    click.echo("DDL guard: installed (3 event triggers, ENABLE ALWAYS)")
