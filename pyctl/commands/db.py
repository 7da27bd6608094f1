"""`pyctl db start|stop|status|url`: the embedded cluster under .pyctl/ (see pyctl.cluster)."""
import json

import click

from pyctl.cluster import Cluster

#: --dsn (given to every command by pyctl.cli) is accepted here and ignored
IGNORES_DSN = True


@click.group("db")
def command():
    """The embedded PostgreSQL 15 cluster under .pyctl/ (used when no --dsn/DATABASE_URL)."""


@command.command("start")
def start():
    """Initialise (first time) and start the cluster; idempotent."""
    Cluster().start(echo=click.echo)


@command.command("stop")
def stop():
    """Stop the cluster (fast shutdown)."""
    Cluster().stop(echo=click.echo)


@command.command("status")
@click.option("--json", "as_json", is_flag=True, help="print the status as JSON")
def status(as_json):
    """Is the cluster running; where are its data, port and log."""
    st = Cluster().status()
    if as_json:
        click.echo(json.dumps(st, indent=2))
        return
    click.echo(f"{'running' if st['running'] else 'stopped'}")
    for key in ("url", "pid", "data_dir", "log"):
        if st[key] is not None:
            click.echo(f"  {key:9} {st[key]}")
    if not st["running"]:
        raise SystemExit(3)


@command.command("url")
def url():
    """Print the cluster's URL (postgresql://postgres@127.0.0.1:PORT/outreach)."""
    click.echo(Cluster().url())
