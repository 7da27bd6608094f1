"""`pyctl smoke [--sample N]`: see pyctl.smoke."""
import click

from pyctl.commands import database_url
from pyctl.smoke import DEFAULT_SAMPLE, render, run_smoke


@click.command("smoke")
@click.option("--sample", type=click.IntRange(1, 1000), default=DEFAULT_SAMPLE, show_default=True,
              help="how many random companies to check")
def command(sample):
    """Smoke test (shq.fn_run_smoke_test): random companies through the
    completion and eligibility views and a dry-run safety gate; logged as one
    SMOKE_TEST row in shq.audit_log. Exits 0 whenever the test ran."""
    for line in render(run_smoke(database_url(), sample)):
        click.echo(line)
