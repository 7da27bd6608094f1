"""The `pyctl` command line: a click group whose subcommands live one per
module in pyctl/commands/. Each module exposes `command` (a click command or
group); the work itself is in plain functions elsewhere in the package, so
tests call it directly."""
from __future__ import annotations

import importlib
import sys

import click

from pyctl.commands import add_dsn_option, given_dsn, running_command
from pyctl.errors import PyctlError, format_db_error

#: SQLSTATEs of a missing schema, table, column, function or type: on a
#: database that is not (fully) migrated, what they mean is "run pyctl migrate"
MISSING_OBJECT_CODES = ("3F000", "42P01", "42703", "42883", "42704")

#: subcommand modules, in the order `pyctl --help` lists them
COMMAND_MODULES = [
    "db", "migrate", "verify", "seed", "state", "smoke", "override", "gate",
    "governance", "schedule", "bench", "bit", "campaign", "audit", "scan", "metrics", "outbox", "soak",
]


def command_flags(command: click.Command | None) -> dict[str, str]:
    """The SQL parameter names a command's options stand for: p_<name> -> --<flag>."""
    flags = {}
    for param in getattr(command, "params", []):
        longs = [o for o in getattr(param, "opts", []) if o.startswith("--")]
        if isinstance(param, click.Option) and longs and param.name:
            flags[f"p_{param.name}"] = longs[0]
    return flags


def database_failure(e: Exception) -> PyctlError:
    """A database error as one line, in the running command's words: "run
    `pyctl migrate`" where a missing object means the database is not
    migrated, and the command's flags where the message names SQL parameters."""
    line = format_db_error(e, command_flags(running_command()))
    if getattr(e, "sqlstate", None) in MISSING_OBJECT_CODES:
        from pyctl import dsn as dsn_module
        from pyctl.migrate import not_migrated

        try:
            why = not_migrated(dsn_module.resolve_dsn(given_dsn(), start=False))
        except PyctlError:
            why = None
        if why:
            return PyctlError(f"{why} | {line}")
    return PyctlError(line)


class _Root(click.Group):
    """The root group: a database error raised anywhere below it becomes one
    line in the command's words (database_failure)."""

    def invoke(self, ctx: click.Context):
        import psycopg

        try:
            return super().invoke(ctx)
        except psycopg.Error as e:
            raise database_failure(e) from None


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="outreach-governance-core")
def cli() -> None:
    """Controller of the outreach governance core (PostgreSQL 15).

    Every command talks to the database given by --dsn URL, which it accepts
    before or after the subcommand (`pyctl --dsn URL state`, `pyctl state
    --dsn URL`), else by DATABASE_URL; without either, to the embedded
    cluster of the checkout (found from any of its directories, or from
    $PYCTL_HOME; started when needed). `pyctl db` manages that cluster and
    ignores both. Every command that prints data takes --format json."""


add_dsn_option(cli)
for _name in COMMAND_MODULES:
    _mod = importlib.import_module(f"pyctl.commands.{_name}")
    add_dsn_option(_mod.command, ignored=getattr(_mod, "IGNORES_DSN", False))
    cli.add_command(_mod.command)


def main() -> None:
    """Entry point: every expected failure becomes one clear line and exit 1."""
    import psycopg

    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except PyctlError as e:
        click.echo(f"pyctl: {e}", err=True)
        sys.exit(e.exit_code)
    except psycopg.Error as e:
        click.echo(f"pyctl: {format_db_error(e)}", err=True)
        sys.exit(1)
