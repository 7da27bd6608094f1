"""`pyctl campaign list|plan|create`: see pyctl.campaign."""
from pathlib import Path

import click

from pyctl.campaign import (campaign_summary, create_campaign, list_campaigns, load_campaign_file, plan_campaign,
                            plan_json, plan_lines)
from pyctl.commands import database_url
from pyctl.dsn import connect
from pyctl.output import echo_data, format_option, table_lines

#: the statuses of outreach.campaigns.status
STATUSES = ("draft", "active", "paused", "completed")


def _connect():
    return connect(database_url(), autocommit=True, application_name="pyctl campaign")


@click.group("campaign")
def command():
    """Campaign orchestration: list the campaigns, create one with its steps,
    plan its next sends."""


@command.command("list")
@click.option("--status", type=click.Choice(STATUSES), default=None, help="only campaigns in this status")
@format_option()
def list_command(status, fmt):
    """Every campaign: channel, minimum tier, status, sequence steps and sends
    so far, oldest first."""
    with _connect() as conn:
        rows = list_campaigns(conn, status)
    echo_data(fmt, rows, lambda: table_lines(
        rows, ["campaign_id", "name", "channel", "min_tier", "status", "steps", "sends"]) + [
        f"{len(rows)} campaign(s)"])


@command.command("plan")
@click.argument("campaign_id")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="at most this many planned sends")
@click.option("--as-of", "as_of", default=None, metavar="TIMESTAMP",
              help="plan as of this time (ISO timestamp; default now)")
@format_option()
def plan(campaign_id, limit, as_of, fmt):
    """Who CAMPAIGN_ID should contact next, and the step due for each
    (outreach.fn_plan_campaign_sends): highest BIT score first. Every planned
    send still goes through the safety gate. `pyctl campaign list` shows the
    campaign ids."""
    with _connect() as conn:
        rows = plan_campaign(conn, campaign_id, limit=limit, as_of=as_of)
    if fmt == "json":
        click.echo(plan_json(campaign_id, rows, limit, as_of))
    else:
        for line in plan_lines(campaign_id, rows):
            click.echo(line)


@command.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@format_option()
def create(file, fmt):
    """Create a campaign and its sequence steps from a JSON FILE:

    \b
    {"campaign_id": "CMP-RENEWALS", "name": "Renewal season", "channel": "EMAIL",
     "min_tier": 1, "status": "active",
     "steps": [{"template_id": "intro", "delay_days": 0},
               {"template_id": "follow-up", "delay_days": 3}]}

    Steps are in send order; step n+1 is due delay_days after step n was sent.
    min_tier defaults to 1, status to draft."""
    spec = load_campaign_file(file)
    with _connect() as conn:
        campaign_id = create_campaign(conn, spec)
        if fmt == "json":
            echo_data(fmt, [r for r in list_campaigns(conn) if r["campaign_id"] == campaign_id][0], [])
            return
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
