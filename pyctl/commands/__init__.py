"""The subcommands of `pyctl`, one module each (each exposes `command`, a
click command or group), and the one thing they share: which database a
command talks to.

`--dsn` is declared here once. pyctl.cli gives it to the root group and to
every command and subcommand (add_dsn_option), so it is accepted before or
after any subcommand: `pyctl --dsn URL state`, `pyctl state --dsn URL`,
`pyctl governance --dsn URL run`. The last one given on the command line
wins; without any, DATABASE_URL; without that, the embedded cluster.
Commands ask for the result with database_url().
"""
from __future__ import annotations

import click

from pyctl import dsn as dsn_module

DSN_HELP = ("database URL, accepted before or after any subcommand (default: $DATABASE_URL, "
            "else the embedded cluster of the checkout or of $PYCTL_HOME, started when needed)")
IGNORED_DSN_HELP = "ignored: `pyctl db` manages the embedded cluster (accepted so every command takes --dsn)"
_KEY = "pyctl.dsn"
_COMMAND_KEY = "pyctl.command"


def _remember(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    # ctx.meta is shared by the whole chain of contexts, and a subcommand's
    # options are parsed after its parent's: the last --dsn given wins, and
    # the last command seen is the one that runs
    ctx.meta[_COMMAND_KEY] = ctx.command
    if value is not None:
        ctx.meta[_KEY] = value


def add_dsn_option(command: click.Command, ignored: bool = False) -> None:
    """Give `command` and all its subcommands the --dsn option (hidden, and
    documented as ignored, where `ignored`)."""
    command.params.append(click.Option(["--dsn"], metavar="URL", default=None, expose_value=False,
                                       callback=_remember, hidden=ignored,
                                       help=IGNORED_DSN_HELP if ignored else DSN_HELP))
    for sub in getattr(command, "commands", {}).values():
        add_dsn_option(sub, ignored)


def given_dsn() -> str | None:
    """The --dsn of the command line (wherever it stood), if any."""
    return click.get_current_context().meta.get(_KEY)


def running_command() -> click.Command | None:
    """The (sub)command being run, once its options were parsed."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_COMMAND_KEY) if ctx is not None else None


def database_url(start: bool = True) -> str:
    """The DSN of the running command: --dsn, else DATABASE_URL, else the
    embedded cluster's URL (starting the cluster when `start`)."""
    return dsn_module.resolve_dsn(given_dsn(), start=start)
