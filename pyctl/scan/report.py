"""The scan's reports: text for people, JSON (ci_enforcement_report.json,
the name CI tooling expects) for tools, SARIF 2.1.0 for code-scanning UIs."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from pyctl import __version__
from pyctl.scan import rules as R
from pyctl.scan.engine import Finding, ScanResult

FORMATS = ("text", "json", "sarif")
DEFAULT_OUTPUT = {"json": "ci_enforcement_report.json", "sarif": "ci_enforcement_report.sarif"}
TOOL_NAME = "pyctl-scan"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SARIF_LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note"}


def counts(findings: list[Finding]) -> dict[str, int]:
    return {s: sum(1 for f in findings if f.severity == s) for s in R.SEVERITIES}


def summary_line(result: ScanResult, fail_on: str | None) -> str:
    c = counts(result.findings)
    parts = ", ".join(f"{n} {s.lower()}" for s, n in c.items() if n) or "none"
    failing = result.failing(fail_on)
    verdict = ("FAIL" if failing else "ok") if fail_on else "ok (--fail-on none)"
    at = f" at --fail-on {fail_on}" if fail_on else ""
    return (f"{len(result.findings)} finding(s) ({parts}), {len(result.suppressed)} suppressed, "
            f"{result.files_scanned} file(s) scanned: {verdict}{at}")


def text(result: ScanResult, fail_on: str | None) -> str:
    lines = []
    for f in result.findings:
        lines.append(f"{f.file}:{f.line}:{f.column}: {f.severity} {f.rule} {f.name}: {f.message}")
        lines.append(f"    fix: {f.hint}")
    lines.append(summary_line(result, fail_on))
    return "\n".join(lines) + "\n"


def as_json(result: ScanResult, fail_on: str | None, rules_source: str, config_source: str, root: Path) -> dict:
    by_check = {c: {"findings": 0, "suppressed": 0, "passed": True} for c in R.CHECKS}
    for f in result.findings:
        by_check[f.check]["findings"] += 1
        if fail_on and R.at_or_above(f.severity, fail_on):
            by_check[f.check]["passed"] = False
    for f in result.suppressed:
        by_check[f.check]["suppressed"] += 1
    return {
        "tool": TOOL_NAME, "version": __version__,
        "generated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "root": str(root), "rules_source": rules_source, "config_source": config_source,
        "fail_on": fail_on, "passed": not result.failing(fail_on),
        "files_scanned": result.files_scanned,
        "summary": counts(result.findings),
        "checks": by_check,
        "findings": [f.as_dict() for f in result.findings],
        "suppressed": [f.as_dict() for f in result.suppressed],
    }


def _uri(file: str) -> dict:
    if file.startswith("/"):
        return {"uri": Path(file).as_uri()}
    return {"uri": quote(file), "uriBaseId": "%SRCROOT%"}


def _fingerprint(f: Finding) -> str:
    return hashlib.sha256(f"{f.rule}|{f.file}|{f.message}".encode()).hexdigest()


def sarif(result: ScanResult, fail_on: str | None, rules_source: str, root: Path, exit_code: int) -> dict:
    rule_index = {r.code: i for i, r in enumerate(R.RULES)}
    rules = [{
        "id": r.code, "name": r.name,
        "shortDescription": {"text": f"{r.name} ({r.severity})"},
        "fullDescription": {"text": r.summary},
        "help": {"text": f"{r.summary} Fix: {r.hint}"},
        "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
        "properties": {"severity": r.severity, "check": r.check,
                       **({"violationCode": r.violation_code} if r.violation_code else {})},
    } for r in R.RULES]

    def result_of(f: Finding) -> dict:
        res = {
            "ruleId": f.rule, "ruleIndex": rule_index[f.rule], "level": _SARIF_LEVEL[f.severity],
            "message": {"text": f"{f.message}. Fix: {f.hint}"},
            "locations": [{"physicalLocation": {"artifactLocation": _uri(f.file),
                                                "region": {"startLine": f.line, "startColumn": f.column}}}],
            "partialFingerprints": {"pyctlScanFinding/v1": _fingerprint(f)},
            "properties": {"severity": f.severity},
        }
        if f.suppressed is not None:
            res["suppressions"] = [{"kind": "inSource", "justification": f.suppressed}]
        return res

    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": TOOL_NAME, "version": __version__, "semanticVersion": __version__,
                                "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
            "invocations": [{"executionSuccessful": True, "exitCode": exit_code}],
            "results": [result_of(f) for f in result.findings + result.suppressed],
            "properties": {"rulesSource": rules_source, "failOn": fail_on or "none",
                           "filesScanned": result.files_scanned},
        }],
    }


def write(document: dict, path: Path | None) -> str:
    """The document as JSON, written to `path` unless that is None or '-'."""
    out = json.dumps(document, indent=2) + "\n"
    if path is not None and str(path) != "-":
        Path(path).write_text(out, encoding="utf-8")
    return out
