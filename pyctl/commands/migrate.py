"""`pyctl migrate [--status]`: see pyctl.migrate."""
from pathlib import Path

import click

from pyctl.commands import database_url
from pyctl.migrate import migrate, migration_status
from pyctl.output import echo_data, format_option
from pyctl.resources import SQL_ROOT


@click.command("migrate")
@click.option("--status", "show_status", is_flag=True, help="list applied and pending migrations; change nothing")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=SQL_ROOT,
              show_default=True, help="the SQL sources: db/, functions/, triggers/, views/")
@format_option()
def command(show_status, root, fmt):
    """Apply pending migrations (db/, yoyo) and re-apply the repeatable sources
    of db/manifest.txt (functions/, triggers/, views/) in one transaction."""
    dsn = database_url()
    if show_status:
        st = migration_status(dsn, root)
        echo_data(fmt, st, [*(f"applied  {name}" for name in st["applied"]),
                            *(f"pending  {name}" for name in st["pending"]),
                            f"{len(st['applied'])} applied, {len(st['pending'])} pending; "
                            f"{len(st['repeatables'])} repeatable files re-applied on every migrate"])
        return
    lines: list[str] = []
    migrate(dsn, root, echo=click.echo if fmt == "text" else lines.append)
    if fmt == "json":
        echo_data(fmt, {"migrated": True, "log": lines}, [])
