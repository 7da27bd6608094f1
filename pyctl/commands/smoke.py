"""`pyctl smoke [--sample N] [--dsn]`: see pyctl.smoke."""
import click

from pyctl.dsn import resolve_dsn
from pyctl.smoke import DEFAULT_SAMPLE, render, run_smoke


@click.command("smoke")
@click.option("--sample", type=click.IntRange(1, 1000), default=DEFAULT_SAMPLE, show_default=True,
              help="how many random companies to check")
@click.option("--dsn", envvar="DATABASE_URL", default=None,
              help="database URL (default: DATABASE_URL, else the embedded cluster)")
def command(sample, dsn):
    """Smoke test (shq.fn_run_smoke_test): random companies through the
    completion and eligibility views and a dry-run safety gate; logged as one
    SMOKE_TEST row in shq.audit_log. Exits 0 whenever the test ran."""
    for line in render(run_smoke(resolve_dsn(dsn), sample)):
        click.echo(line)
