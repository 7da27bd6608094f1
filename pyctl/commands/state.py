"""`pyctl state [--format text|markdown|json] [--dsn]`: see pyctl.state."""
import click

from pyctl.dsn import resolve_dsn
from pyctl.state import FORMATS, state_report


@click.command("state")
@click.option("--format", "fmt_name", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for a terminal, markdown for a wiki or PR, json for tools")
@click.option("--dsn", envvar="DATABASE_URL", default=None,
              help="database URL (default: DATABASE_URL, else the embedded cluster)")
def command(fmt_name, dsn):
    """The LIVE SYSTEM STATE report (seed 000), computed from the database:
    what is live, hub statuses, tier distribution, overrides, BIT scores,
    blocked send attempts of the last 24 h, error governance, job health and
    spine alignment."""
    click.echo(state_report(resolve_dsn(dsn), fmt_name), nl=False)
