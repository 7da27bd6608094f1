"""`pyctl outbox status|tail`: see pyctl.outbox."""
import json
import sys

import click

from pyctl.commands import database_url
from pyctl.dsn import connect
from pyctl.outbox import event_line, status, status_json, status_lines, tail


@click.group("outbox")
def command():
    """The outbox: events for CL, senders and analytics, and their consumers."""


@command.command("status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def status_command(fmt):
    """Per destination and consumer: events not acknowledged yet (backlog),
    claimed ones (in flight), parked (poison) ones, the age of the oldest
    unacknowledged event and of the last claim. A destination without a
    consumer shows the events waiting for its first one."""
    with connect(database_url(), autocommit=True, application_name="pyctl outbox") as conn:
        rows = status(conn)
    if fmt == "json":
        click.echo(status_json(rows))
    else:
        for line in status_lines(rows):
            click.echo(line)


@command.command("tail")
@click.argument("destination")
@click.option("--count", type=click.IntRange(min=1), default=None, help="stop after this many events")
@click.option("--timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
              help="stop after this long without an event (default: never)")
@click.option("--from-start", is_flag=True, help="print the events already in the outbox first")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: one JSON object per line")
def tail_command(destination, count, timeout, from_start, fmt):
    """Print the events of DESTINATION (cl, sender, analytics) as they are
    committed, each once: LISTEN on its channel (a direct connection, not a
    transaction-mode pooler). Reads only; it claims nothing."""
    def echo(ev):
        click.echo(json.dumps(ev, sort_keys=True) if fmt == "json" else event_line(ev))
        sys.stdout.flush()

    with connect(database_url(), autocommit=True, application_name="pyctl outbox tail") as conn:
        tail(conn, destination, echo, count=count, timeout=timeout, from_start=from_start)
