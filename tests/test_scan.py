"""`pyctl scan` against the fixture hub code base (tests/scan_fixture/hubcode):
every finding exactly (rule, file, line), the near misses that must not be
findings, the rules as the database gives them, the reports (JSON, SARIF
validated against the official SARIF 2.1.0 schema), exit codes, suppressions,
and the project's own code base."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from psycopg import sql
from scan_support import FIXTURE, export_rules, sarif_validator, write_clean_hub_file

from helpers import REPO_ROOT
from pyctl.scan import ruleset, run
from pyctl.scan.rules import RULES

#: every finding the fixture must produce: (rule, file, line)
EXPECTED = sorted([
    # DONE_STATE_DEFINITIONS.md: two hubs missing, three rows that disagree with the database
    ("OGS401", "DONE_STATE_DEFINITIONS.md", 6),     # talent-flow
    ("OGS401", "DONE_STATE_DEFINITIONS.md", 6),     # bit-engine
    ("OGS402", "DONE_STATE_DEFINITIONS.md", 9),     # wrong checker
    ("OGS402", "DONE_STATE_DEFINITIONS.md", 11),    # Required yes, registry says optional
    ("OGS402", "DONE_STATE_DEFINITIONS.md", 12),    # unknown hub
    # vendors
    ("OGS301", "hubs/blog-content/news.py", 2),     # import clearbit: unregistered
    ("OGS302", "hubs/blog-content/news.py", 3),     # import pyhunter: not for blog-content
    ("OGS302", "hubs/blog-content/news.py", 8),     # api.hunter.io: not for blog-content
    ("OGS301", "hubs/blog-content/news.py", 9),     # api.zoominfo.com: unregistered
    ("OGS301", "hubs/blog-content/news.py", 12),    # TOOL-099 not in the registry
    ("OGS203", "hubs/blog-content/news.py", 17),    # TOOL-010 banned
    ("OGS302", "hubs/blog-content/news.py", 24),    # TOOL-008 not for blog-content
    ("OGS303", "hubs/blog-content/news.py", 26),    # TOOL-003 WRITE
    ("OGS303", "hubs/blog-content/news.py", 27),    # TOOL-005 READ
    ("OGS202", "hubs/people-intelligence/enrich.py", 2),
    ("OGS202", "hubs/people-intelligence/enrich.py", 3),
    ("OGS303", "hubs/people-intelligence/enrich.py", 15),   # TOOL-009 READ
    ("OGS203", "hubs/people-intelligence/enrich.py", 22),   # TOOL-010 banned
    # writers
    ("OGS101", "hubs/company-target/imo/middle/hub_status.py", 16),   # sanctioned for hub status only
    ("OGS101", "hubs/company-target/imo/output/sync.py", 20),         # f-string with a module constant
    ("OGS101", "hubs/company-target/imo/output/sync.py", 30),         # psycopg.sql composition
    ("OGS101", "hubs/dol-filings/loader.py", 12),                     # COPY ... FROM STDIN
    ("OGS101", "hubs/dol-filings/loader.py", 15),                     # identity (executemany)
    ("OGS101", "hubs/dol-filings/loader.py", 22),                     # append-only INSERT no role may do
    ("OGS101", "hubs/dol-filings/loader.py", 25),                     # append-only UPDATE
    ("OGS101", "hubs/talent-flow/scan_notes.py", 5),
    ("OGS101", "hubs/talent-flow/scan_notes.py", 6),
    ("OGS901", "hubs/talent-flow/scan_notes.py", 5),                  # no reason
    ("OGS901", "hubs/talent-flow/scan_notes.py", 6),                  # unknown rule
    ("OGS102", "ops/fix.sql", 4),
    ("OGS101", "ops/fix.sql", 6),                                     # DISABLE TRIGGER ALL
    ("OGS101", "ops/fix.sql", 7),                                     # TRUNCATE
    ("OGS101", "ops/fix.sql", 11),                                    # inside a DO block
    ("OGS102", "scripts/backfill.py", 5),
    ("OGS101", "scripts/backfill.py", 6),
    ("OGS102", "scripts/backfill.py", 11),
    ("OGS902", "src/broken.py", 1),
    ("OGS902", "src/broken.sql", 2),
    # dependency files
    ("OGS201", "requirements.txt", 3),
    ("OGS201", "requirements-dev.txt", 3),
    ("OGS201", "pyproject.toml", 6),
    ("OGS201", "uv.lock", 10),
    ("OGS201", "poetry.lock", 9),
])

#: lines that look like violations and are not (file, line, why)
NEAR_MISSES = [
    ("hubs/company-target/imo/output/sync.py", 13, "SELECT of a sanctioned function"),
    ("hubs/company-target/imo/middle/hub_status.py", 8, "write in a sanctioned path"),
    ("infra/migrations/0042_seed_hubs.sql", 2, "write in a sanctioned path (migration)"),
    ("hubs/company-target/imo/output/sync.py", 35, "write to a non-guarded table"),
    ("hubs/company-target/imo/output/sync.py", 3, "docstring that mentions an INSERT"),
    ("hubs/company-target/imo/output/sync.py", 14, "comment that mentions an INSERT"),
    ("hubs/company-target/imo/output/sync.py", 39, "suppressed line"),
    ("hubs/dol-filings/loader.py", 20, "INSERT the sender role is granted on an append-only table"),
    ("hubs/dol-filings/loader.py", 17, "COPY ... TO (a read)"),
    ("scripts/backfill.py", 7, "SELECT of a sanctioned function in a read-only path"),
    ("ops/fix.sql", 2, "SELECT of a sanctioned function in a read-only path"),
    ("hubs/blog-content/news.py", 4, "Google SDK, allowed for blog-content"),
    ("hubs/blog-content/news.py", 25, "TOOL-006 READ for blog-content, allowed"),
    ("hubs/people-intelligence/enrich.py", 4, "Hunter.io SDK, allowed for people-intelligence"),
    ("hubs/people-intelligence/enrich.py", 7, "Clay host, allowed for people-intelligence"),
    ("requirements.txt", 4, "an unregistered vendor's package: no call"),
]


@pytest.fixture(scope="module")
def rules_file(dsn, run_pyctl, tmp_path_factory):
    return export_rules(run_pyctl, dsn, tmp_path_factory.mktemp("rules") / "pyctl-scan-rules.json")


@pytest.fixture(scope="module")
def rules(rules_file):
    return ruleset.load(rules_file)


@pytest.fixture(scope="module")
def fixture_outcome(rules, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.json"
    return run([FIXTURE], rules, root=FIXTURE, fmt="json", output=out, jobs=1)


def triples(findings):
    return sorted((f.rule, f.file, f.line) for f in findings)


# ------------------------------------------------------------------ the rules, from the database
def test_guarded_tables_are_where_the_guards_are(rules):
    by_table = {g.table: g for g in rules.guarded_tables}
    assert set(by_table) == {
        "outreach.company_hub_status", "outreach.manual_overrides", "outreach.hub_registry", "outreach.bit_scores",
        "outreach.send_attempt_audit", "outreach.override_audit_log", "outreach.bit_signals",
        "outreach.engagement_events", "shq.audit_log", "shq.tool_violations", "shq.audit_seals",
        "shq.audit_seal_tombstones", "cl.company_identity", "shq.guarded_tables", "outreach.outbox_events",
        "outreach.company_eligibility",
        "cl.company_identity_history", "outreach.company_hub_status_history",
        "outreach.company_target_status_history"}
    all_writes = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
    assert (by_table["outreach.company_hub_status"].kind, by_table["outreach.company_hub_status"].operations) == \
        ("sovereign", all_writes)
    # append-only: the trigger refuses changes; INSERT is refused only where no role holds it
    assert by_table["outreach.engagement_events"].operations == ["UPDATE", "DELETE", "TRUNCATE"]
    assert by_table["outreach.send_attempt_audit"].operations == all_writes
    assert by_table["outreach.send_attempt_audit"].guard_operations == ["UPDATE", "DELETE", "TRUNCATE"]
    identity = by_table["cl.company_identity"]
    assert (identity.kind, identity.sqlstate, identity.operations, identity.guard_operations) == \
        ("write-once identity", "OG003", all_writes, ["INSERT", "UPDATE"])


def _registry(conn, statement: str, *args) -> None:
    """A change of the registry of guarded tables, done as a migration does it."""
    with conn.transaction():
        conn.execute("SELECT set_config('shq.migrating', 'on', true)")
        conn.execute("SET LOCAL ROLE outreach_owner")
        conn.execute("SELECT shq.fn_sanction('shq.guarded_tables')")
        conn.execute(statement, args)
        conn.execute("SELECT shq.fn_install_guard_triggers()")


def test_a_newly_registered_table_is_guarded(conn):
    """Which tables are guarded is read from the registry the guards read."""
    conn.execute("CREATE TABLE outreach.scan_probe (id int)")
    try:
        conn.execute("ALTER TABLE outreach.scan_probe OWNER TO outreach_owner")
        assert "outreach.scan_probe" not in {g.table for g in ruleset.guarded_tables(conn)}
        _registry(conn, "INSERT INTO shq.guarded_tables (table_name, kind) VALUES ('outreach.scan_probe', 'append_only')")
        probe = {g.table: g for g in ruleset.guarded_tables(conn)}["outreach.scan_probe"]
        assert (probe.kind, probe.operations) == ("append-only", ["INSERT", "UPDATE", "DELETE", "TRUNCATE"])
        conn.execute("GRANT INSERT ON outreach.scan_probe TO outreach_sender")
        probe = {g.table: g for g in ruleset.guarded_tables(conn)}["outreach.scan_probe"]
        assert probe.operations == ["UPDATE", "DELETE", "TRUNCATE"]
    finally:
        _registry(conn, "DELETE FROM shq.guarded_tables WHERE table_name = 'outreach.scan_probe'::regclass")
        with conn.transaction():
            conn.execute("SELECT set_config('shq.migrating', 'on', true)")
            conn.execute("DROP TABLE outreach.scan_probe")


def test_tools_vendors_and_done_checkers(rules):
    assert rules.vendor_banned("linkedin-scraper") and not rules.vendor_banned("Hunter.io")
    assert not rules.vendor_registered("Clearbit") and rules.vendor_registered("Google")
    assert rules.vendor_allowed_for("Hunter.io", "people-intelligence")
    assert not rules.vendor_allowed_for("Hunter.io", "blog-content")
    registered = {t.vendor for t in rules.tools} - {"internal"}
    assert registered <= {v.vendor for v in rules.vendor_identifiers}, "every registry vendor is recognisable"
    assert {h.hub_id: h.checker for h in rules.hubs} == {
        "company-target": "shq.fn_check_company_target_done", "dol-filings": "shq.fn_check_dol_done",
        "people-intelligence": "shq.fn_check_people_done", "talent-flow": "shq.fn_check_talent_flow_done",
        "blog-content": "shq.fn_check_blog_done", "bit-engine": "shq.fn_check_bit_done"}
    assert all(h.checker_exists and h.criteria for h in rules.hubs)


def test_vendor_identifiers_refuse_malformed_rows(conn):
    import psycopg

    for kind, ident in [("pypi_package", "Hunter_IO"), ("api_host", "https://api.x.io"), ("import_name", "a-b"),
                        ("pypi_package", ""), ("sdk", "x")]:
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO shq.tool_vendor_identifiers (kind, identifier, vendor) VALUES (%s, %s, 'V')",
                         (kind, ident))
    assert conn.execute("SELECT count(*) FROM shq.tool_vendor_identifiers WHERE vendor = 'V'").fetchone()[0] == 0


def test_hub_done_checkers_refuse_unknown_hubs_and_odd_names(conn):
    import psycopg

    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.execute("INSERT INTO shq.hub_done_checkers VALUES ('no-such-hub', 'shq.fn_check_x_done')")
    for checker in ("fn_check_dol_done", "shq.fn_dol_done", "shq.fn_check_DOL_done", ""):
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE shq.hub_done_checkers SET checker = %s WHERE hub_id = 'dol-filings'", (checker,))
    with pytest.raises(psycopg.errors.UniqueViolation):     # one checker decides one hub
        conn.execute("UPDATE shq.hub_done_checkers SET checker = 'shq.fn_check_dol_done' "
                     "WHERE hub_id = 'blog-content'")
    assert conn.execute("SELECT checker FROM shq.hub_done_checkers WHERE hub_id = 'dol-filings'").fetchone() == \
        ("shq.fn_check_dol_done",)
    # nothing for PUBLIC; the roles that read the rules may only read them
    for table in ("shq.hub_done_checkers", "shq.tool_vendor_identifiers"):
        grants = conn.execute(
            """SELECT coalesce(nullif(a.grantee, 0)::regrole::text, 'PUBLIC'), a.privilege_type
                 FROM pg_class c, aclexplode(c.relacl) a
                WHERE c.oid = %s::regclass AND a.grantee <> c.relowner ORDER BY 1, 2""", (table,)).fetchall()
        assert grants == [("outreach_governor", "SELECT"), ("outreach_hub_writer", "SELECT")], table


def test_done_checkers_agree_with_the_promotion_gate(fresh_db):
    """shq.hub_done_checkers names, for each hub, the checker that gives the
    same answer as the promotion gate (shq._hub_gates.done) for every company."""
    import psycopg
    from pyctl.seed import seed

    db = fresh_db()
    seed(db, 300)
    with psycopg.connect(db, autocommit=True) as c:
        c.execute("SELECT outreach.fn_refresh_bit_scores()")
        for hub_id, checker in c.execute("SELECT hub_id, checker FROM shq.hub_done_checkers").fetchall():
            schema, name = checker.split(".")
            q = sql.SQL("SELECT count(*) FILTER (WHERE g.done IS DISTINCT FROM {}(g.outreach_id)), "
                        "count(*) FILTER (WHERE g.done), count(*) FILTER (WHERE NOT g.done) "
                        "FROM shq._hub_gates g WHERE g.hub_id = %s").format(sql.Identifier(schema, name))
            disagree, done, not_done = c.execute(q, (hub_id,)).fetchone()
            assert disagree == 0, f"{checker} disagrees with the gate for {hub_id}"
            assert done > 0 and not_done > 0, f"{hub_id}: the seed gives no contrast ({done} done, {not_done} not)"


# ------------------------------------------------------------------ the fixture hub code base
def test_fixture_findings_exactly(fixture_outcome):
    assert triples(fixture_outcome.result.findings) == EXPECTED
    assert fixture_outcome.exit_code == 1


def test_every_rule_is_planted_at_least_twice():
    counts = {r.code: sum(1 for e in EXPECTED if e[0] == r.code) for r in RULES}
    assert {code: n for code, n in counts.items() if n < 2} == {}


def test_near_misses_are_not_findings(fixture_outcome):
    flagged = {(f.file, f.line) for f in fixture_outcome.result.findings}
    lines_of = {}
    for file, line, why in NEAR_MISSES:
        text = lines_of.setdefault(file, (FIXTURE / file).read_text().splitlines())
        assert line <= len(text), (file, line)
        assert (file, line) not in flagged, f"{file}:{line} ({why}) was reported"


def test_suppressed_line_is_reported_as_suppressed_with_its_reason(fixture_outcome):
    assert [(f.rule, f.file, f.line, f.suppressed) for f in fixture_outcome.result.suppressed] == [
        ("OGS101", "hubs/company-target/imo/output/sync.py", 39,
         "one-off repair reviewed with the override owners")]


def test_messages_name_the_table_and_the_runtime_error(fixture_outcome):
    by_key = {(f.rule, f.file, f.line): f for f in fixture_outcome.result.findings}
    f = by_key[("OGS101", "hubs/dol-filings/loader.py", 15)]
    assert "cl.company_identity" in f.message and "OG003" in f.message and "fn_mint_outreach_id" in f.hint
    f = by_key[("OGS101", "hubs/dol-filings/loader.py", 22)]
    assert "42501" in f.message and "outreach.fn_safety_gate_check(...)" in f.hint
    # the fix names the table's own sanctioned functions, as the database defines them
    assert "outreach.fn_set_hub_status(...)" in by_key[("OGS101", "hubs/dol-filings/loader.py", 12)].hint
    assert "outreach.set_marketing_override(...)" in by_key[("OGS101", "ops/fix.sql", 11)].hint
    assert "SELECT outreach.fn_refresh_bit_scores(...)" in by_key[("OGS101", "ops/fix.sql", 7)].hint
    assert "OG004" in by_key[("OGS101", "hubs/dol-filings/loader.py", 25)].message
    assert "DISABLE TRIGGER ALL" in by_key[("OGS101", "ops/fix.sql", 6)].message
    f = by_key[("OGS302", "hubs/blog-content/news.py", 3)]
    assert "Hunter.io" in f.message and "people-intelligence" in f.message
    assert by_key[("OGS101", "ops/fix.sql", 11)].column == 12     # the table name inside the DO block


def test_json_report(fixture_outcome):
    doc = json.loads(fixture_outcome.output.read_text())
    assert doc["passed"] is False and doc["fail_on"] == "HIGH"
    assert doc["files_scanned"] == 16
    assert sorted((f["rule"], f["file"], f["line"]) for f in doc["findings"]) == EXPECTED
    assert set(doc["checks"]) >= {"check_banned_libraries", "check_banned_imports",
                                  "check_tool_registry_coverage", "check_done_state_contracts",
                                  "check_illegal_writers"}
    assert doc["checks"]["check_banned_libraries"] == {"findings": 5, "suppressed": 0, "passed": False}
    assert doc["summary"] == {"CRITICAL": 28, "HIGH": 13, "MEDIUM": 0, "LOW": 2}
    assert doc["suppressed"][0]["suppression_reason"]


def test_sarif_validates_against_the_sarif_2_1_0_schema(rules, tmp_path):
    out = tmp_path / "scan.sarif"
    outcome = run([FIXTURE], rules, root=FIXTURE, fmt="sarif", output=out, jobs=1)
    doc = json.loads(out.read_text())
    errors = sorted(sarif_validator().iter_errors(doc), key=str)
    assert errors == []
    results = doc["runs"][0]["results"]
    assert len(results) == len(EXPECTED) + 1
    assert sorted((r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                   r["locations"][0]["physicalLocation"]["region"]["startLine"])
                  for r in results if "suppressions" not in r) == EXPECTED
    suppressed = [r for r in results if "suppressions" in r]
    assert suppressed[0]["suppressions"][0]["justification"] == "one-off repair reviewed with the override owners"
    assert doc["runs"][0]["invocations"][0]["exitCode"] == outcome.exit_code == 1


def test_the_validator_catches_a_broken_sarif(rules, tmp_path):
    """The schema check can fail: a result without its message does not validate."""
    out = tmp_path / "scan.sarif"
    run([FIXTURE / "ops"], rules, root=FIXTURE, fmt="sarif", output=out, done_definitions="", jobs=1)
    doc = json.loads(out.read_text())
    del doc["runs"][0]["results"][0]["message"]
    assert list(sarif_validator().iter_errors(doc))


def test_database_and_snapshot_give_the_same_findings(dsn, rules):
    live = run([FIXTURE], ruleset.from_dsn(dsn), root=FIXTURE, fmt="text", jobs=1)
    assert triples(live.result.findings) == EXPECTED


def test_parallel_scan_gives_the_same_findings(rules, monkeypatch):
    from pyctl.scan import engine

    monkeypatch.setattr(engine, "PARALLEL_MIN_FILES", 1)
    outcome = run([FIXTURE], rules, root=FIXTURE, fmt="text", jobs=2)
    assert triples(outcome.result.findings) == EXPECTED


def test_database_side_gap_is_a_missing_done_definition(conn, tmp_path):
    conn.execute("BEGIN")
    try:
        conn.execute("DELETE FROM shq.hub_done_checkers WHERE hub_id = 'people-intelligence'")
        gap = ruleset.read_database(conn, "test")
    finally:
        conn.execute("ROLLBACK")
    outcome = run([FIXTURE / "DONE_STATE_DEFINITIONS.md"], gap, root=FIXTURE, jobs=1)
    missing = [f for f in outcome.result.findings if f.rule == "OGS401" and f.line == 10]
    assert len(missing) == 1 and "no DONE checker in the database" in missing[0].message


# ------------------------------------------------------------------ the command line
def test_cli_exit_codes(run_pyctl, rules_file, tmp_path):
    clean = tmp_path / "clean"
    write_clean_hub_file(clean)
    shutil.copy(FIXTURE / "DONE_STATE_DEFINITIONS.md", clean / "DONE_STATE_DEFINITIONS.md")
    base = ["scan", "--rules", rules_file]

    p = run_pyctl(base + ["--root", FIXTURE, FIXTURE], cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert "ops/fix.sql:6:13: CRITICAL OGS101 illegal-writer" in p.stdout
    assert run_pyctl(base + ["--root", FIXTURE, "--fail-on", "none", FIXTURE], cwd=tmp_path).returncode == 0
    p = run_pyctl(base + ["--root", clean, "--done-definitions", "", clean], cwd=tmp_path)
    assert (p.returncode, p.stdout.splitlines()[-1].split(":")[-1].strip()) == (0, "ok at --fail-on HIGH"), p.stdout
    # the copied DONE document has HIGH findings: they fail at HIGH, not at CRITICAL
    assert run_pyctl(base + ["--root", clean, clean], cwd=tmp_path).returncode == 1
    assert run_pyctl(base + ["--root", clean, "--fail-on", "CRITICAL", clean], cwd=tmp_path).returncode == 0
    # usage errors: 2, one line, no traceback
    for args in (["--format", "xml", clean], [tmp_path / "no-such-dir"], ["--fail-on", "urgent", clean],
                 ["--dsn", "postgresql://nobody@127.0.0.1:1/x", clean]):
        p = run_pyctl(base + args, cwd=tmp_path)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        assert "Traceback" not in p.stderr
    p = run_pyctl(["scan", clean], cwd=tmp_path)             # no --rules, no database
    assert p.returncode == 2 and "--rules" in p.stderr and "Traceback" not in p.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    p = run_pyctl(["scan", "--rules", bad, clean], cwd=tmp_path)
    assert p.returncode == 2 and "not a pyctl scan rules snapshot" in p.stderr
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[writers]\nsanctioned = 3\n")
    p = run_pyctl(base + ["--config", cfg, clean], cwd=tmp_path)
    assert p.returncode == 2 and "writers.sanctioned" in p.stderr


def test_cli_json_and_sarif_files(run_pyctl, rules_file, tmp_path):
    p = run_pyctl(["scan", "--rules", rules_file, "--root", FIXTURE, "--format", "json", FIXTURE], cwd=tmp_path)
    assert p.returncode == 1
    doc = json.loads((tmp_path / "ci_enforcement_report.json").read_text())
    assert len(doc["findings"]) == len(EXPECTED)
    p = run_pyctl(["scan", "--rules", rules_file, "--root", FIXTURE, "--format", "sarif", "--output", "-",
                   FIXTURE], cwd=tmp_path)
    assert p.returncode == 1
    assert list(sarif_validator().iter_errors(json.loads(p.stdout))) == []
    assert "43 finding(s)" in p.stderr


def test_help_explains_every_rule(run_pyctl):
    p = run_pyctl(["scan", "--help"])
    assert p.returncode == 0
    text = " ".join(p.stdout.split())
    for r in RULES:
        assert f"{r.code} {r.name} [{r.severity}]" in text
    for option in ("--dsn", "--rules", "--export-rules", "--format", "--fail-on", "pyctl: allow"):
        assert option in text


# ------------------------------------------------------------------ the project itself
def test_the_project_code_base_is_clean(rules):
    """The project's own code, with its pyctl-scan.toml (which says why each
    sanctioned path may write): no finding at all."""
    outcome = run([REPO_ROOT], rules, root=REPO_ROOT, fmt="text")
    assert [f"{f.file}:{f.line} {f.rule} {f.message}" for f in outcome.result.findings] == []
    assert outcome.result.files_scanned > 100
