"""`pyctl state --format html|markdown`: the LIVE SYSTEM STATE in its classic
layout. The HTML page is rendered by headless Chromium (Debian package) at a
phone and a desktop size; the screenshots are kept under
artifacts/state-report/ for people (and CI) to look at, and the DOM Chromium
built must hold the figures of the JSON report."""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import psycopg
import pytest

from helpers import output
from pyctl.state_document import SEED_SECTIONS

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "state-report"
#: (name, width, height): the page is shot whole at these window sizes
SIZES = (("phone", 390, 12000), ("desktop", 1280, 8000))
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--hide-scrollbars")


def chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    exe = shutil.which("chromium")
    if not exe:
        pytest.fail("chromium is not installed (Makefile APT_PACKAGES: chromium)", pytrace=False)
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *map(str, args)],
                          capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
                          env={**os.environ, "HOME": str(tmp_path)})


@pytest.fixture(scope="module")
def seeded(dsn, run_pyctl):
    for args in (["seed", "--companies", "300", "--seed", "5"], ["smoke"], ["governance", "run"],
                 ["metrics", "refresh"]):
        p = run_pyctl([*args, "--dsn", dsn])
        assert p.returncode == 0, output(p)
    return dsn


@pytest.fixture(scope="module")
def report(seeded, run_pyctl):
    """The JSON report and the HTML page (written with --output under artifacts/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = ARTIFACTS / "state.html"
    p = run_pyctl(["state", "--format", "html", "--output", page, "--dsn", seeded])
    assert p.returncode == 0 and p.stdout.strip() == f"wrote {page}", output(p)
    js = run_pyctl(["state", "--format", "json", "--dsn", seeded])
    assert js.returncode == 0, output(js)
    return json.loads(js.stdout), page


def n(v) -> str:
    return f"{v:,}"


def figures(state: dict) -> list[str]:
    """Figures of the JSON report that the page must show, as the page writes them (see shown())."""
    out = [n(state["companies"]["total"]), n(state["overrides"]["active"]), n(state["bit"]["scored_companies"])]
    counts = {c["table"]: c["rows"] for c in state["row_counts"]}
    out += [n(counts["outreach.company_hub_status"]), n(counts["outreach.send_attempt_audit"])]
    out += [f"{n(t['companies'])} · {float(t['pct']):.1f}%" for t in state["tier_distribution"]]
    for h in state["hubs"]:
        out += [f"{n(h['PASS'])} of {n(h['rows'])} companies at PASS"]
    sa = state["send_attempts_24h"]
    out += [f"{n(sa['attempts'])} ({n(sa['cleared'])} / {n(sa['blocked'])})"]
    out += [(reason, n(cnt)) for reason, cnt in sa["blocked_by_reason"].items()]
    for e in state["error_governance"]["rows"]:
        out.append(n(e["errors"]))
    al = state["spine_alignment"]
    out += [n(al["spine_count"]), n(al["cl_bound_count"]), "ALIGNED"]
    out += [j["job_name"] for j in state["job_health"]["rows"]]
    out += [(ev["event_type"], n(ev["events"])) for ev in state["catalogue"]["audit_events"]]
    return out


def shown(figure, dom: str) -> bool:
    """A figure, or a (label, value) pair in two neighbouring cells of one table row."""
    if isinstance(figure, tuple):
        label, value = map(re.escape, figure)
        return re.search(rf">{label}</span></td><td[^>]*><span>{value}</span></td>", dom) is not None
    return figure in dom


def png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_chromium_renders_the_page_at_phone_and_desktop_size(report, tmp_path):
    state, page = report
    for name, width, height in SIZES:
        shot = ARTIFACTS / f"state-{name}.png"
        shot.unlink(missing_ok=True)
        p = chromium(tmp_path, f"--window-size={width},{height}", f"--screenshot={shot}", page.as_uri())
        assert shot.exists(), output(p)[-3000:]
        assert png_size(shot) == (width, height)
        assert shot.stat().st_size > 50_000, "a blank page"


def test_the_page_chromium_builds_holds_the_json_figures(report, tmp_path):
    state, page = report
    p = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert p.returncode == 0, output(p)[-3000:]
    dom = p.stdout
    assert "<title>LIVE SYSTEM STATE</title>" in dom
    positions = [dom.find(f"<h2>{title}</h2>") for title in SEED_SECTIONS]
    assert -1 not in positions and positions == sorted(positions), dict(zip(SEED_SECTIONS, positions))
    missing = [f for f in figures(state) if not shown(f, dom)]
    assert missing == []
    assert dom.count("<svg") >= 4 and "Companies by effective tier" in dom   # tiers, gate (2 layouts), errors
    assert "Gate verdicts per hour" in dom and "Governed errors by disposition and escalation level" in dom


def test_the_page_is_self_contained(report):
    _state, page = report
    html = page.read_text()
    assert "<script" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html), "no network resource"
    assert "@import" not in html and "url(" not in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html


def test_markdown_follows_the_seed_layout(seeded, report, run_pyctl):
    state, _page = report
    p = run_pyctl(["state", "--format", "markdown", "--dsn", seeded])
    assert p.returncode == 0, output(p)
    md = p.stdout
    assert md.startswith("# LIVE SYSTEM STATE\n")
    assert re.findall(r"^## (.+)$", md, re.M) == list(SEED_SECTIONS)
    assert md.rstrip().endswith("**END OF LIVE SYSTEM STATE**")
    snapshot = md.split("## CURRENT STATE SNAPSHOT", 1)[1].split("\n## ", 1)[0]
    assert f"| Total Companies | {n(state['companies']['total'])} |" in snapshot
    counts = {c["table"]: c["rows"] for c in state["row_counts"]}
    assert f"| Hub status rows (company_hub_status) | {n(counts['outreach.company_hub_status'])} |" in snapshot
    for sub in ("### TIER DISTRIBUTION", "### JOB HEALTH", "### ERRORS BY DISPOSITION AND ESCALATION"):
        assert sub in snapshot
    writers = md.split("## SANCTIONED WRITERS", 1)[1].split("\n## ", 1)[0]
    for fn, table in (("outreach.fn_set_hub_status()", "company_hub_status"),
                      ("outreach.set_marketing_override()", "manual_overrides"),
                      ("outreach.fn_refresh_bit_scores()", "bit_scores"),
                      # both forms of the sanction count: shq.fn_sanction and shq.fn_sanction_add
                      ("outreach.fn_rebuild_company_eligibility()", "company_eligibility")):
        assert re.search(rf"SQL: {re.escape(fn)}\s+→ {table}", writers), writers
    forbidden = md.split("## WHAT IS FORBIDDEN", 1)[1].split("\n## ", 1)[0]
    assert "`outreach.manual_overrides`" in forbidden and "OG005" in forbidden and "OG004" in forbidden
    assert "| `outreach_monitor` | no write on a guarded table, no sanctioned writer: 42501 |" in forbidden
    audit = md.split("## AUDIT TRAIL", 1)[1]
    assert re.search(r"\| SMOKE_TEST \| 1 \|", audit) and re.search(r"\| ERROR_GOVERNANCE_RUN \| 1 \|", audit)


def test_the_status_line_names_what_needs_attention(seeded, fresh_db, run_pyctl):
    p = run_pyctl(["state", "--format", "markdown", "--dsn", seeded])
    parked3 = re.search(r"parked errors? at escalation level 3", p.stdout.split("\n---", 1)[0]) is not None
    with psycopg.connect(seeded) as c:
        n3 = c.execute("SELECT count(*) FROM shq.vw_metrics_governed WHERE disposition = 'PARKED'"
                       " AND escalation_level = '3'").fetchone()[0]
    assert parked3 == (n3 > 0)
    p = run_pyctl(["state", "--format", "markdown", "--dsn", fresh_db()])
    assert "**Status:** ✅ LIVE\n" in p.stdout


def test_text_and_json_still_work(report, seeded, run_pyctl):
    p = run_pyctl(["state", "--dsn", seeded])
    assert p.returncode == 0 and p.stdout.startswith("LIVE SYSTEM STATE\n")
    assert "ERRORS BY DISPOSITION AND ESCALATION" in p.stdout and "JOB HEALTH" in p.stdout
    state, _page = report
    assert state["title"] == "LIVE SYSTEM STATE"
    assert {"job_health", "gate_verdicts_hourly", "errors_by_escalation", "catalogue"} <= set(state)


def test_an_unwritable_output_is_one_line(seeded, run_pyctl, tmp_path):
    p = run_pyctl(["state", "--format", "html", "--output", tmp_path / "no" / "such" / "dir" / "x.html", "--dsn", seeded])
    assert p.returncode == 1
    assert p.stderr.startswith("pyctl: cannot write ") and "Traceback" not in output(p)


def test_an_unmigrated_database_renders_every_format(fresh_db, run_pyctl):
    dsn = fresh_db("template0")
    for fmt in ("markdown", "html"):
        p = run_pyctl(["state", "--format", fmt, "--dsn", dsn])
        assert p.returncode == 0, output(p)
        assert "not migrated" in p.stdout and "LIVE SYSTEM STATE" in p.stdout
