"""`pyctl scan PATH...`: see pyctl.scan."""
from pathlib import Path

import click

from pyctl.commands import given_dsn
from pyctl.errors import PyctlError
from pyctl.scan import FAIL_ON_CHOICES, load_rules, report, ruleset, run
from pyctl.scan.rules import help_text

_HELP = """Static CI checks of a hub code base (Python, SQL files, SQL in Python
strings, dependency files, DONE_STATE_DEFINITIONS.md) against the rules the
database enforces at run time. Rules come from the database (--dsn) or from a
snapshot that --export-rules wrote. Exit 0 clean, 1 findings at or above
--fail-on, 2 usage error. Suppress one line with a comment
`# pyctl: allow <RULE> -- <reason>` (the reason is mandatory).

\b
Rules:
"""


@click.command("scan", help=_HELP + "\n\n" + help_text())
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--rules", "rules_file", envvar="PYCTL_SCAN_RULES", type=click.Path(dir_okay=False, path_type=Path),
              help="rules snapshot written by --export-rules (no database needed); env PYCTL_SCAN_RULES")
@click.option("--export-rules", "export_file", type=click.Path(dir_okay=False, path_type=Path),
              help="write the database's rules to this snapshot file (then scan PATHs, if any)")
@click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="text", show_default=True,
              help="text on stdout; json writes ci_enforcement_report.json; sarif writes ci_enforcement_report.sarif")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
              help="where the report goes ('-' for stdout; default per format, above)")
@click.option("--fail-on", type=click.Choice(FAIL_ON_CHOICES, case_sensitive=False), default="high",
              show_default=True, help="lowest severity that makes the exit status 1 ('none': never)")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="settings file (default: <root>/pyctl-scan.toml, else [tool.pyctl-scan] in <root>/pyproject.toml)")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="repository root: paths in findings and globs are relative to it")
@click.option("--done-definitions", metavar="PATH",
              help="the DONE definitions document, relative to the root ('' to skip that check)")
@click.option("--jobs", type=click.IntRange(1, 64), default=None, help="processes (default: up to 2)")
@click.pass_context
def command(ctx, paths, rules_file, export_file, fmt, output, fail_on, config_path, root, done_definitions,
            jobs):
    dsn = given_dsn()
    if rules_file is not None and dsn is not None:
        raise click.UsageError("give the rules either from the database (--dsn) or from a snapshot (--rules), not both")
    if export_file is not None:
        if rules_file is not None:
            raise click.UsageError("--export-rules reads the database; it cannot be combined with --rules")
        rules = load_rules(dsn, None)
        ruleset.dump(rules, export_file)
        click.echo(f"rules of {rules.source} written to {export_file}", err=bool(paths))
        if not paths:
            return
    else:
        rules = load_rules(dsn, rules_file)
    threshold = None if fail_on.lower() == "none" else fail_on.upper()
    outcome = run(list(paths), rules, root, fmt=fmt, output=output, fail_on=threshold, config_path=config_path,
                  done_definitions=done_definitions, jobs=jobs)
    if fmt == "text" and outcome.output is None:
        click.echo(outcome.rendered, nl=False)
    elif outcome.output is None:
        click.echo(outcome.rendered, nl=False)
        click.echo(report.summary_line(outcome.result, threshold), err=True)
    else:
        click.echo(report.summary_line(outcome.result, threshold))
        click.echo(f"report: {outcome.output}")
    if outcome.exit_code:
        failing = len(outcome.result.failing(threshold))
        raise PyctlError(f"scan failed: {failing} finding(s) at or above {threshold}", exit_code=outcome.exit_code)
