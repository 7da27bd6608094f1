"""`pyctl smoke [--sample N]`: see pyctl.smoke."""
import click

from pyctl.commands import database_url
from pyctl.output import echo_data, format_option
from pyctl.smoke import DEFAULT_SAMPLE, render, run_smoke


@click.command("smoke")
@click.option("--sample", type=click.IntRange(1, 1000), default=DEFAULT_SAMPLE, show_default=True,
              help="how many random companies to check")
@format_option()
def command(sample, fmt):
    """Smoke test (shq.fn_run_smoke_test): random companies through the
    completion and eligibility views and a dry-run safety gate; logged as one
    SMOKE_TEST row in shq.audit_log. Exits 0 whenever the test ran."""
    result = run_smoke(database_url(), sample)
    echo_data(fmt, {"companies": result.rows, "eligible": result.eligible, "audit_id": result.audit_id},
              lambda: render(result))
