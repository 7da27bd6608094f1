"""`pyctl state [--format text|markdown|json]`: see pyctl.state."""
import click

from pyctl.commands import database_url
from pyctl.state import FORMATS, state_report


@click.command("state")
@click.option("--format", "fmt_name", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for a terminal, markdown for a wiki or PR, json for tools")
def command(fmt_name):
    """The LIVE SYSTEM STATE report (seed 000), computed from the database:
    what is live, hub statuses, tier distribution, overrides, BIT scores,
    blocked send attempts of the last 24 h, error governance, job health and
    spine alignment."""
    click.echo(state_report(database_url(), fmt_name), nl=False)
