"""`pyctl schedule`: placeholder until its issue lands (see README)."""
import click

from pyctl.errors import PyctlError


@click.command("schedule", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--dsn", envvar="DATABASE_URL", default=None, help="database URL (default: DATABASE_URL, else the embedded cluster)")
def command(dsn):
    """(not yet implemented)"""
    raise PyctlError("pyctl schedule is not implemented yet")
