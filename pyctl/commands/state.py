"""`pyctl state [--format text|markdown|json|html] [--output FILE]`: see pyctl.state."""
import click

from pyctl.commands import database_url
from pyctl.errors import PyctlError
from pyctl.state import FORMATS, state_report


@click.command("state")
@click.option("--format", "fmt_name", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text for a terminal, markdown for a wiki or PR, json for tools, html for a browser")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="write the report to this file instead of printing it")
def command(fmt_name, output):
    """The LIVE SYSTEM STATE report (docs/operator-guide.md), computed from the database:
    what is live, hub statuses, tier distribution, overrides, BIT scores,
    blocked send attempts of the last 24 h, error governance, job health and
    spine alignment."""
    report = state_report(database_url(), fmt_name)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as f:
                f.write(report)
        except OSError as e:
            raise PyctlError(f"cannot write {output}: {e.strerror}") from None
        click.echo(f"wrote {output}")
    else:
        click.echo(report, nl=False)
