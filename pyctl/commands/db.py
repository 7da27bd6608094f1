"""`pyctl db start|stop|status|url|destroy`: the embedded cluster of the
project home (see pyctl.cluster: the checkout pyctl runs in, from any of its
directories, or $PYCTL_HOME)."""
import click

from pyctl.cluster import Cluster
from pyctl.output import echo_data, format_option

#: --dsn (given to every command by pyctl.cli) is accepted here and ignored
IGNORES_DSN = True


@click.group("db")
def command():
    """The embedded PostgreSQL 15 cluster under .pyctl/ of the checkout (or of
    $PYCTL_HOME), used when no --dsn/DATABASE_URL is given. pyctl finds it
    from any directory of the checkout."""


@command.command("start")
def start():
    """Initialise (first time) and start the cluster; idempotent."""
    Cluster().start(echo=click.echo)


@command.command("stop")
def stop():
    """Stop the cluster (fast shutdown); its data stays."""
    Cluster().stop(echo=click.echo)


@command.command("destroy")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def destroy(yes):
    """Stop the cluster and delete its data for good (the next `pyctl db
    start` creates an empty one; `make demo-fresh` rebuilds the demo)."""
    cluster = Cluster()
    if not yes:
        click.confirm(f"delete the embedded cluster of {cluster.home} and all its data?", abort=True)
    cluster.destroy(echo=click.echo)


@command.command("status")
@format_option(json_alias=True)
def status(fmt):
    """Is the cluster running; where are its data, port and log. Exit 3 when
    it is not running."""
    st = Cluster().status()
    lines = [f"{'running' if st['running'] else 'stopped'}"]
    lines += [f"  {key:9} {st[key]}" for key in ("home", "url", "pid", "data_dir", "log") if st[key] is not None]
    echo_data(fmt, st, lines)
    if not st["running"]:
        raise SystemExit(3)


@command.command("url")
def url():
    """Print the cluster's URL (postgresql://postgres@127.0.0.1:PORT/outreach);
    when it is not running, say so and exit 3."""
    click.echo(Cluster().running_url())
