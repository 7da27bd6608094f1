"""`pyctl metrics show|refresh|queries`: the metric families (docs/monitoring.md); see pyctl.metrics."""
import click

from pyctl import metrics as m
from pyctl.commands import database_url
from pyctl.dsn import connect
from pyctl.errors import PyctlError
from pyctl.output import echo_data, format_option


def _connect():
    return connect(database_url(), autocommit=True, application_name="pyctl metrics")


@click.group("metrics")
def command():
    """Prometheus metrics of the governance core: the shq.vw_metrics_* views,
    their snapshots, and postgres_exporter's queries file."""


@command.command("show")
@click.option("--timing", is_flag=True, help="also print how long each family took (on stderr)")
@format_option(choices=("prometheus", "json"))
def show(timing, fmt):
    """Every metric now, in the Prometheus text format (what postgres_exporter
    exports), or as JSON samples."""
    with _connect() as conn:
        samples, seconds = m.scrape_timed(conn)
    if fmt == "json":
        echo_data(fmt, [{"metric": name, "labels": labels, "value": value} for name, labels, value in samples], [])
    else:
        click.echo(m.exposition(samples), nl=False)
    if timing:
        for name, s in seconds.items():
            click.echo(f"{name}: {s * 1000:.1f} ms", err=True)
        click.echo(f"all families: {sum(seconds.values()) * 1000:.1f} ms", err=True)


@command.command("refresh")
@format_option()
def refresh(fmt):
    """Refresh the metric snapshots now (shq.fn_refresh_metrics_snapshot();
    pg_cron does it every 5 minutes once `pyctl schedule` ran). Run it as the
    role that scheduled the pg_cron jobs, or the job health is kept as is."""
    with _connect() as conn:
        rows = m.refresh_snapshot(conn)
    echo_data(fmt, [{"snapshot": name, "refreshed": refreshed, "ms": ms, "detail": detail}
                    for name, refreshed, ms, detail in rows],
              [f"{name}: " + (f"refreshed in {ms} ms" if refreshed else f"not refreshed ({detail})")
               for name, refreshed, ms, detail in rows])


@command.command("queries")
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="write the file here (default: print it)")
@click.option("--check", "check_file", type=click.Path(dir_okay=False), default=None,
              help="exit 1 when this file differs from what the views generate")
def queries(output, check_file):
    """postgres_exporter's --extend.query-path file, generated from the views
    (the project ships it as monitoring/postgres_exporter/queries.yaml)."""
    with _connect() as conn:
        if check_file:
            diff = m.check_queries(conn, check_file)
            if diff:
                click.echo("\n".join(diff))
                raise PyctlError(f"{check_file} differs from the metric views: regenerate it with "
                                 f"`pyctl metrics queries --output {check_file}`")
            click.echo(f"{check_file}: up to date")
            return
        if output:
            click.echo(f"wrote {m.write_queries(conn, output)}")
        else:
            click.echo(m.queries_yaml(m.families(conn)), nl=False)
