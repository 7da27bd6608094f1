"""The `pyctl` command line: a click group whose subcommands live one per
module in pyctl/commands/. Each module exposes `command` (a click command or
group); the work itself is in plain functions elsewhere in the package, so
tests call it directly."""
from __future__ import annotations

import importlib
import sys

import click

from pyctl.commands import add_dsn_option
from pyctl.errors import PyctlError, format_db_error

#: subcommand modules, in the order `pyctl --help` lists them
COMMAND_MODULES = [
    "db", "migrate", "verify", "seed", "state", "smoke", "override", "gate",
    "governance", "schedule", "bench", "bit", "campaign", "audit", "scan", "metrics", "soak",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="outreach-governance-core")
def cli() -> None:
    """Controller of the outreach governance core (PostgreSQL 15).

    Every command talks to the database given by --dsn URL, which it accepts
    before or after the subcommand (`pyctl --dsn URL state`, `pyctl state
    --dsn URL`), else by DATABASE_URL; without either, to the embedded
    cluster under .pyctl/ (started when needed). `pyctl db` manages that
    cluster and ignores both."""


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
