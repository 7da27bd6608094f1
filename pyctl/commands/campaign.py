"""`pyctl campaign plan|create`: see pyctl.campaign."""
from pathlib import Path

import click

from pyctl.campaign import (campaign_summary, create_campaign, load_campaign_file, plan_campaign, plan_json,
                            plan_lines)
from pyctl.commands import database_url
from pyctl.dsn import connect


@click.group("campaign")
def command():
    """Campaign orchestration: create a campaign with its steps, plan its next sends."""


@command.command("plan")
@click.argument("campaign_id")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="at most this many planned sends")
@click.option("--as-of", "as_of", default=None, metavar="TIMESTAMP",
              help="plan as of this time (ISO timestamp; default now)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def plan(campaign_id, limit, as_of, fmt):
    """Who CAMPAIGN_ID should contact next, and the step due for each
    (outreach.fn_plan_campaign_sends): highest BIT score first. Every planned
    send still goes through the safety gate."""
    with connect(database_url(), autocommit=True, application_name="pyctl campaign") as conn:
        rows = plan_campaign(conn, campaign_id, limit=limit, as_of=as_of)
    if fmt == "json":
        click.echo(plan_json(campaign_id, rows, limit, as_of))
    else:
        for line in plan_lines(campaign_id, rows):
            click.echo(line)


@command.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def create(file):
    """Create a campaign and its sequence steps from a JSON FILE:

    \b
    {"campaign_id": "CMP-RENEWALS", "name": "Renewal season", "channel": "EMAIL",
     "min_tier": 1, "status": "active",
     "steps": [{"template_id": "intro", "delay_days": 0},
               {"template_id": "follow-up", "delay_days": 3}]}

    Steps are in send order; step n+1 is due delay_days after step n was sent.
    min_tier defaults to 1, status to draft."""
    spec = load_campaign_file(file)
    with connect(database_url(), autocommit=True, application_name="pyctl campaign") as conn:
        campaign_id = create_campaign(conn, spec)
        for line in campaign_summary(conn, campaign_id):
            click.echo(line)


@command.command("run")
@click.argument("campaign_id")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="at most this many planned sends")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def run(campaign_id, limit, fmt):
    """Queue CAMPAIGN_ID's next sends for the sending workers: plan them
    (as `campaign plan`), ask the safety gate for each, and queue each
    cleared one as a SEND_REQUESTED event (destination sender). Nothing is
    sent here: a worker (pyctl.outreach.run_sender) asks the gate again and
    sends."""
    from pyctl.campaign import run_campaign, run_lines

    with connect(database_url(), autocommit=True, application_name="pyctl campaign") as conn:
        result = run_campaign(conn, campaign_id, limit=limit)
    if fmt == "json":
        import json

        click.echo(json.dumps(result.as_json(), indent=2))
    else:
        for line in run_lines(result):
            click.echo(line)
