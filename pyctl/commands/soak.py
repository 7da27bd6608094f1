"""`pyctl soak --clients N --seconds S [--crash-every S] [--seed K] [--json FILE] [--format text|json]`: see pyctl.soak."""
import json
import os
import sys

import click
import psycopg

from pyctl.commands import database_url, given_dsn
from pyctl.errors import PyctlError
from pyctl.output import echo_data, format_option
from pyctl.soak import EmbeddedCrash, SoakConfig, check, document, run_soak, text
from pyctl.soak.crash import embedded_cluster


@click.command("soak")
@click.option("--clients", type=click.IntRange(1, 64), required=True, help="concurrent clients (threads)")
@click.option("--seconds", type=click.FloatRange(min=1), required=True, help="how long the clients work")
@click.option("--crash-every", type=click.FloatRange(min=5), default=None, metavar="SECONDS",
              help="crash the embedded cluster (pg_ctl stop -m immediate) this often, and restart it")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=1, show_default=True,
              help="random seed: the same seed replays the same choices")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), default=None,
              help="also write the report as JSON (format pyctl-soak/1, see docs/soak.md)")
@format_option()
def command(clients, seconds, crash_every, seed, json_file, fmt):
    """Randomized whole-system workload with faults (terminated backends,
    statement timeouts) and, with --crash-every, crashes; then the
    invariants are checked from the database and the clients' logs. Exits
    non-zero when any invariant is broken. It needs a superuser and writes
    companies, campaigns and audit rows under the prefix SK<seed>R<n>-:
    run it against the embedded cluster or a staging copy, never production."""
    crash = None
    if crash_every is not None:
        if given_dsn() or os.environ.get("DATABASE_URL"):
            raise PyctlError("--crash-every crashes the embedded cluster, which pyctl controls; with --dsn or "
                             "DATABASE_URL the soak runs with faults but without crashes (leave --crash-every out)",
                             exit_code=2)
        dsn = database_url()
        crash = EmbeddedCrash(embedded_cluster())
    else:
        dsn = database_url()
    config = SoakConfig(clients=clients, seconds=seconds, seed=seed, crash_every=crash_every)
    result = run_soak(dsn, config, crash=crash, echo=lambda line: click.echo(line, err=True))
    click.echo("soak: checking the invariants ...", err=True)
    verdicts = check(result)
    with psycopg.connect(dsn, connect_timeout=10) as c:
        version = c.execute("SHOW server_version").fetchone()[0]
    doc = document(result, verdicts, version)
    if json_file:
        with open(json_file, "w") as f:
            json.dump(doc, f, indent=2, default=str)
            f.write("\n")
    echo_data(fmt, doc, lambda: text(doc))
    sys.exit(0 if doc["ok"] else 1)
