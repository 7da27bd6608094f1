"""The Prometheus alert rules (monitoring/prometheus/outreach-alerts.yml) with
Debian's promtool: `check rules`, `test rules` (the unit tests beside them),
and what ties them to the rest of the project: each alert has a runbook and a
section of docs/monitoring.md, each one is seen firing in the unit tests, and
each metric a rule reads is one the metric views export."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from pyctl import metrics

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "monitoring" / "prometheus" / "outreach-alerts.yml"
RULE_TESTS = ROOT / "monitoring" / "prometheus" / "outreach-alerts.test.yml"
DOC = ROOT / "docs" / "monitoring.md"


def promtool(*args, cwd=None) -> subprocess.CompletedProcess:
    exe = shutil.which("promtool")
    if not exe:
        pytest.fail("promtool is not installed (Makefile APT_PACKAGES: prometheus)", pytrace=False)
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=cwd,
                          stdin=subprocess.DEVNULL)


def rules() -> list[dict]:
    return [r for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


def alerts() -> list[dict]:
    return [r for r in rules() if "alert" in r]


def test_promtool_checks_the_rules():
    p = promtool("check", "rules", RULES)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"SUCCESS: {len(rules())} rules found" in p.stdout


def test_promtool_unit_tests_pass():
    p = promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "SUCCESS" in p.stdout


def test_the_unit_tests_catch_a_broken_rule(tmp_path):
    for f in (RULES, RULE_TESTS):
        shutil.copy(f, tmp_path / f.name)
    broken = tmp_path / RULES.name
    broken.write_text(broken.read_text().replace("expr: outreach_spine_aligned == 0", "expr: outreach_spine_aligned == 1"))
    p = promtool("test", "rules", RULE_TESTS.name, cwd=tmp_path)
    assert p.returncode != 0
    assert "OutreachSpineMisaligned" in p.stdout + p.stderr


def test_every_alert_has_a_runbook_and_a_doc_section():
    doc = DOC.read_text()
    headings = {re.sub(r"[^a-z0-9 -]", "", h.strip().lower()).replace(" ", "-")
                for h in re.findall(r"^#+ (.+)$", doc, re.M)}
    for a in alerts():
        name = a["alert"]
        assert a["labels"]["severity"] in ("critical", "warning"), name
        ann = a["annotations"]
        assert {"summary", "description", "runbook", "runbook_url"} <= set(ann), name
        assert len(ann["runbook"]) > 40, name
        assert ann["runbook_url"] == f"docs/monitoring.md#{name.lower()}", name
        assert name.lower() in headings, f"docs/monitoring.md has no section '{name}'"


def test_every_rule_is_unit_tested():
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    fired = {t["alertname"] for case in tests for t in case.get("alert_rule_test", []) if t.get("exp_alerts")}
    assert {a["alert"] for a in alerts()} - fired == set()
    recorded = {t["expr"] for case in tests for t in case.get("promql_expr_test", []) if t.get("exp_samples")}
    assert {r["record"] for r in rules() if "record" in r} - recorded == set()


def test_the_rules_read_only_exported_metrics():
    exported = set()
    for key, spec in yaml.safe_load(metrics.QUERIES_FILE.read_text()).items():
        for col in spec["metrics"]:
            (name, usage), = ((k, v["usage"]) for k, v in col.items())
            if usage != "LABEL":
                exported.add(f"{key}_{name}")
    used = {m for r in rules() for m in re.findall(r"\boutreach_[a-z0-9_]+", r["expr"])}
    assert used and used - exported == set()
