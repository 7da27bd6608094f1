"""`pyctl bench [--quick] [--only NAME] [--json FILE]`: see pyctl.bench."""
import json
from pathlib import Path

import click

from pyctl.bench import run, table_lines
from pyctl.commands import database_url
from pyctl.errors import PyctlError
from pyctl.resources import SQL_ROOT


@click.command("bench")
@click.option("--quick", is_flag=True, help="smaller data and shorter runs; skips benchmarks not quick_ok")
@click.option("--only", multiple=True, metavar="NAME", help="run only this benchmark (repeatable)")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("bench-report.json"), show_default=True, help="where to write the JSON report")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=SQL_ROOT,
              show_default=True, help="the SQL sources migrated into the scratch databases")
def command(quick, only, json_path, root):
    """Benchmarks of SPEC §15, each a figure against a floor measured in the
    same run. They run on the server of --dsn (or DATABASE_URL, or the
    embedded cluster), in scratch databases created there and dropped."""
    report = run(database_url(), only=list(only) or None, quick=quick, echo=click.echo, root=root)
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    for line in table_lines(report):
        click.echo(line)
    click.echo(f"report: {json_path}")
    if not report["ok"]:
        bad = [r["name"] for r in report["results"] if not r["ok"]]
        raise PyctlError(f"over budget or failed: {', '.join(bad)}")
