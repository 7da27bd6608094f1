"""`pyctl bench [--quick] [--only NAME] [--json FILE]` and `pyctl bench report FILE...`:
see pyctl.bench and pyctl.bench.report."""
import json
from pathlib import Path

import click

from pyctl.bench import QUICK_NOTE, run, table_lines
from pyctl.bench.report import ReportError, render
from pyctl.commands import database_url
from pyctl.errors import PyctlError
from pyctl.output import echo_json, format_option
from pyctl.resources import SQL_ROOT


@click.group("bench", invoke_without_command=True)
@click.option("--quick", is_flag=True,
              help="a smoke run: smaller data and shorter runs (skips benchmarks not quick_ok); its ratios "
                   "are not the budgets, and it fails only when a benchmark fails to run")
@click.option("--only", multiple=True, metavar="NAME", help="run only this benchmark (repeatable)")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("bench-report.json"), show_default=True, help="where to write the JSON report")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=SQL_ROOT,
              show_default=True, help="the SQL sources migrated into the scratch databases")
@format_option()
@click.pass_context
def command(ctx, quick, only, json_path, root, fmt):
    """The performance budgets, each a figure against a floor measured in the
    same run. They run on the server of --dsn (or DATABASE_URL, or the
    embedded cluster), in scratch databases created there and dropped. A
    full run exits non-zero when a figure is over its budget or a benchmark
    fails to run; a --quick run only in the second case.
    `pyctl bench report` renders reports as the benchmarks page."""
    if ctx.invoked_subcommand is not None:
        return
    if quick:
        for line in QUICK_NOTE:
            click.echo(line, err=fmt == "json")
    report = run(database_url(), only=list(only) or None, quick=quick,
                 echo=(lambda line: click.echo(line, err=True)) if fmt == "json" else click.echo, root=root)
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    if fmt == "json":
        echo_json(report)
    else:
        for line in table_lines(report):
            click.echo(line)
        click.echo(f"report: {json_path}")
    if report["failed_to_run"]:
        raise PyctlError(f"failed to run: {', '.join(report['failed_to_run'])}")
    if not report["ok"] and not quick:
        bad = [r["name"] for r in report["results"] if not r["ok"]]
        raise PyctlError(f"over budget: {', '.join(bad)}")


@command.command("report")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def report_command(files):
    """Print the benchmarks page (Markdown) for FILES: reports of `pyctl bench
    --json` (the median of each figure across them, the machine, the
    PostgreSQL version and the dates) and of other commands such as `pyctl
    soak --json` (their fields as tables). Reads files only:

    \b
    pyctl bench report docs/benchmarks/*.json > docs/benchmarks.md"""
    try:
        click.echo(render(files), nl=False)
    except ReportError as e:
        raise PyctlError(str(e)) from None
