"""`pyctl gate check COMPANY --campaign C [--channel EMAIL|PHONE] [--dry-run]`:
the safety gate from a shell (docs/reference/gate.md). Prints the verdict (with the
reason and its detail when blocked) and its audit id; exit 0 when eligible, 3
when blocked (1 for errors). The work is in
pyctl.gate.check_eligibility."""
from __future__ import annotations

import sys
import uuid

import click

from pyctl.commands import database_url
from pyctl.dsn import connect
from pyctl.gate import check_eligibility
from pyctl.output import echo_json, format_option

#: exit status of `pyctl gate check` for a blocked verdict
EXIT_BLOCKED = 3


@click.group("gate")
def command():
    """The marketing safety gate."""


@command.command("check")
@click.argument("company")
@click.option("--campaign", required=True, help="campaign_id")
@click.option("--channel", default="EMAIL", show_default=True, help="EMAIL or PHONE (anything else fails closed)")
@click.option("--dry-run", is_flag=True, help="audited as a dry run: never clears a send")
@click.option("--correlation-id", default=None, help="default: pyctl-<random>")
@format_option(json_alias=True)
def check_command(company, campaign, channel, dry_run, correlation_id, fmt):
    """Run the safety gate for COMPANY in a campaign; every call writes one
    send_attempt_audit row. Exit 0 when eligible, 3 when blocked."""
    corr = correlation_id or f"pyctl-{uuid.uuid4().hex[:16]}"
    with connect(database_url(), autocommit=True) as conn:
        r = check_eligibility(conn, company, campaign, corr, channel, dry_run)
    if fmt == "json":
        echo_json({
            "is_eligible": r.is_eligible, "block_reason": r.block_reason, "block_detail": r.block_detail,
            "audit_id": str(r.audit_id), "computed_tier": r.computed_tier, "effective_tier": r.effective_tier,
            "company_unique_id": company, "campaign_id": campaign, "channel": channel, "dry_run": dry_run,
            "correlation_id": corr})
    else:
        click.echo(f"verdict: {r.verdict()}")
        click.echo(f"company: {company}  campaign: {campaign}  channel: {channel}"
                   f"  dry run: {'yes' if dry_run else 'no'}")
        click.echo(f"computed_tier: {r.computed_tier if r.computed_tier is not None else '-'}"
                   f"  effective_tier: {r.effective_tier if r.effective_tier is not None else '-'}")
        click.echo(f"correlation_id: {corr}")
        click.echo(f"audit_id: {r.audit_id}")
    if not r.is_eligible:
        sys.exit(EXIT_BLOCKED)
