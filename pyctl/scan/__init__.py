"""`pyctl scan`: static CI checks of the code that calls this database (the
mutation guard test and the CI enforcement checks of docs/scan.md), driven by
the rules the database enforces at run time.

    from pyctl.scan import load_rules, run
    rules = load_rules(dsn=None, rules_file=Path("pyctl-scan-rules.json"))
    outcome = run([Path(".")], rules, root=Path("."), fmt="json")
    outcome.exit_code, outcome.result.findings

Modules: rules (the rule catalogue), ruleset (what the database says, and its
snapshot file), config (the scanned repository's settings), sqlwrites (SQL
through the PostgreSQL parser), pysource (Python through ast), deps
(dependency files), done (DONE_STATE_DEFINITIONS.md), engine (the scan),
report (text, JSON, SARIF).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyctl.errors import PyctlError
from pyctl.scan import config as scan_config, report, ruleset
from pyctl.scan.engine import ScanResult, scan
from pyctl.scan.rules import SEVERITIES

__all__ = ["load_rules", "run", "Outcome", "scan", "ScanResult", "FAIL_ON_CHOICES"]

FAIL_ON_CHOICES = tuple(s.lower() for s in SEVERITIES) + ("none",)


def load_rules(dsn: str | None, rules_file: Path | None) -> ruleset.RuleSet:
    """The rules: from the snapshot file when given, else from the database
    (`dsn`, else DATABASE_URL, else the embedded cluster if it is running).
    No source at all is a usage error (exit 2)."""
    if rules_file is not None:
        return ruleset.load(rules_file)
    from pyctl.dsn import resolve_dsn

    try:
        resolved = resolve_dsn(dsn, start=False)
    except PyctlError:
        raise PyctlError("no rules to scan with: give --rules FILE (written by `pyctl scan --export-rules FILE`), "
                         "or --dsn / DATABASE_URL of the database", exit_code=2) from None
    return ruleset.from_dsn(resolved)


@dataclass
class Outcome:
    result: ScanResult
    exit_code: int
    rendered: str           # the report as text, JSON or SARIF
    output: Path | None     # where it was written (None: nowhere, the caller prints it)


def run(paths: list[Path], rules: ruleset.RuleSet, root: Path, fmt: str = "text", output: Path | None = None,
        fail_on: str | None = "HIGH", config_path: Path | None = None, done_definitions: str | None = None,
        jobs: int | None = None) -> Outcome:
    """Scan and render; exit_code 1 when a finding is at or above `fail_on`."""
    root = Path(root).resolve()
    cfg = scan_config.load(root, config_path)
    if done_definitions is not None:
        cfg.done_definitions = done_definitions or None
    result = scan(paths or [root], rules, cfg, root, jobs=jobs)
    exit_code = 1 if result.failing(fail_on) else 0
    if fmt == "text":
        rendered = report.text(result, fail_on)
        if output is not None and str(output) != "-":
            Path(output).write_text(rendered, encoding="utf-8")
        else:
            output = None
        return Outcome(result, exit_code, rendered, output)
    if output is None:
        output = Path(report.DEFAULT_OUTPUT[fmt])
    if fmt == "json":
        doc = report.as_json(result, fail_on, rules.source, cfg.source, root)
    else:
        doc = report.sarif(result, fail_on, rules.source, root, exit_code)
    rendered = report.write(doc, output)
    return Outcome(result, exit_code, rendered, None if str(output) == "-" else output)
