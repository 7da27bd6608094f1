"""`pyctl verify` (docs/reference/conventions.md): passes on a populated
database and changes nothing there, reads no row of a project table, names
every offender, fails on drift from the sources, and builds (and always
drops) its scratch reference database."""
from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import sql

from helpers import copy_project, error_lines, fingerprint, fingerprint_diff, output
from pyctl import policy
from pyctl.verify import CHECKS, READS_EVERY_ROW, SCRATCH_PREFIX, verify

#: what verify leaves out when a test is about the live checks only
LIVE_ONLY = ("pgtap", "plpgsql_check")


def sequences(dsn: str) -> dict[str, int | None]:
    with psycopg.connect(dsn) as c:
        return dict(c.execute("SELECT schemaname || '.' || sequencename, last_value FROM pg_sequences").fetchall())


def extensions(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as c:
        return [r[0] for r in c.execute("SELECT extname FROM pg_extension ORDER BY 1").fetchall()]


#: static tables that only migrations write (their size never grows with the
#: data): verify reads the registry of guarded tables to know what to check
STATIC_TABLES = ("shq.guarded_tables",)


def table_reads(dsn: str) -> int:
    """Scans (sequential and index) of every project table so far, but the
    static registry verify reads."""
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SELECT pg_stat_clear_snapshot()")
        return c.execute("SELECT coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)"
                         " FROM pg_stat_user_tables WHERE schemaname = ANY(%s)"
                         " AND NOT schemaname || '.' || relname = ANY(%s)",
                         (list(policy.PROJECT_SCHEMAS), list(STATIC_TABLES))).fetchone()[0]


def scratch_databases(admin) -> list[str]:
    return [r[0] for r in admin.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                        (SCRATCH_PREFIX + "%",)).fetchall()]


@pytest.fixture(scope="module")
def seeded(admin, template_db, server_dsn, run_pyctl):
    """A migrated database holding 20000 seeded companies (and their sends,
    signals, overrides and engagement)."""
    name = "verify_seeded"
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template_db)))
    dsn = server_dsn(name)
    p = run_pyctl(["seed", "--companies", "20000", "--dsn", dsn])
    assert p.returncode == 0, output(p)[-3000:]
    yield dsn
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_verify_passes_on_a_populated_database_and_changes_nothing(seeded, run_pyctl, tmp_path, admin):
    before, seqs, exts = fingerprint(seeded), sequences(seeded), extensions(seeded)
    assert before[1]["cl.company_identity"] == 20000 and before[1]["outreach.send_log"] > 0
    report_path = tmp_path / "report.json"
    p = run_pyctl(["verify", "--dsn", seeded, "--report", report_path])
    assert p.returncode == 0, output(p)[-4000:]
    report = json.loads(report_path.read_text())
    assert report["ok"] is True
    # every warning of every check is printed with its text (plpgsql_check
    # warns about the dynamic SQL of a few functions)
    warnings = [w for check in report["checks"].values() for w in check["warnings"]]
    printed = [ln for ln in p.stdout.splitlines() if ln.startswith("    warning: ")]
    assert warnings and len(printed) == len(warnings), p.stdout
    for w in warnings:
        text = w.get("problem") or w.get("message")
        assert any(text in ln and (w.get("subject") or w.get("function")) in ln for ln in printed), w
    # every check is in the report, with what it is and what it found
    assert list(report["checks"]) == [c for c in CHECKS if c not in READS_EVERY_ROW]
    for name, check in report["checks"].items():
        assert check["status"] == "ok" and check["description"], (name, check)
    assert report["checks"]["pgtap"]["info"]["count"] > 20
    assert report["checks"]["drift"]["info"]["objects"]["trigger"] > 40
    assert report["checks"]["plpgsql_check"]["info"]["database"] == "scratch"
    # what it did to the server: one scratch database, dropped
    server = report["server"]
    assert server["scratch_database"].startswith(SCRATCH_PREFIX) and server["scratch_dropped"] is True
    assert scratch_databases(admin) == []
    # and nothing on the live database changed: rows, sequences, catalog
    after = fingerprint(seeded)
    assert fingerprint_diff(before, after) == [] and before[1] == after[1]
    assert sequences(seeded) == seqs
    assert extensions(seeded) == exts


def test_verify_reads_no_row_of_a_project_table(seeded):
    """Nothing verify does on the live database grows with the data: it
    never scans a project table (--audit does: it recomputes the seals)."""
    reads = table_reads(seeded)
    assert verify(seeded, skip=LIVE_ONLY)["ok"] is True
    assert table_reads(seeded) == reads
    verify(seeded, audit=True, skip=LIVE_ONLY)
    assert table_reads(seeded) > reads, "the control: --audit reads the sealed tables and the eligibility rows"


def test_verify_names_every_offender(fresh_db, run_pyctl, tmp_path):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET check_function_bodies = off")
        c.execute("CREATE FUNCTION cl.zz_broken() RETURNS int LANGUAGE plpgsql AS"
                  " $$ BEGIN RETURN (SELECT no_such_column FROM pg_catalog.pg_class LIMIT 1); END $$")
        c.execute("CREATE FUNCTION cl.zz_unpinned_definer() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'")
        c.execute("REVOKE ALL ON FUNCTION cl.zz_unpinned_definer() FROM PUBLIC")
        c.execute("GRANT EXECUTE ON FUNCTION cl.zz_unpinned_definer() TO outreach_reader")
        c.execute("GRANT DELETE ON outreach.manual_overrides TO outreach_reader")
    report_path = tmp_path / "r.json"
    p = run_pyctl(["verify", "--dsn", dsn, "--report", report_path, "--skip", "pgtap"])
    out = output(p)
    assert p.returncode != 0, out
    assert "Traceback" not in out
    report = json.loads(report_path.read_text())
    assert report["ok"] is False and report["skipped"] == ["pgtap"]
    for needle in ("cl.zz_broken()", "cl.zz_unpinned_definer()", "outreach_reader"):
        assert needle in out, (needle, out)
        assert needle in report_path.read_text(), needle
    checks = report["checks"]
    assert not checks["drift"]["ok"] and not checks["security"]["ok"] and not checks["mutation_guard"]["ok"]
    drifted = {f["subject"]: f["problem"] for f in checks["drift"]["failures"]}
    assert "routine not in the sources" in drifted["cl.zz_broken()"]
    assert "outreach_reader=DELETE" in drifted["outreach.manual_overrides"]
    problems = [f["problem"] for f in checks["security"]["failures"]]
    assert any("search_path" in x for x in problems) and any("PUBLIC" in x for x in problems), problems
    assert any(f["subject"] == "outreach_reader" and "outreach.manual_overrides" in f["problem"]
               for f in checks["mutation_guard"]["failures"]), checks["mutation_guard"]


def _guard_triggers(c) -> list[tuple[str, str]]:
    """(table, trigger) of every ENABLE ALWAYS trigger of a project table."""
    return c.execute("SELECT c.oid::regclass::text, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                     " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%s)"
                     " AND NOT t.tgisinternal AND t.tgenabled = 'A' ORDER BY 1, 2",
                     (list(policy.PROJECT_SCHEMAS),)).fetchall()


#: drift made by a DBA past the DDL guard: the statement, and the subjects verify must name
DRIFTS = {
    "disabled": ("ALTER TABLE outreach.send_log DISABLE TRIGGER trg_send_log_010_gate_guard",
                 {"outreach.send_log.trg_send_log_010_gate_guard"}),
    "dropped": ("DROP TRIGGER trg_send_log_001_kill_switch_lock ON outreach.send_log",
                {"outreach.send_log.trg_send_log_001_kill_switch_lock"}),
    "redefined": ("ALTER FUNCTION outreach.fn_safety_gate_check(text, text, text, text, boolean)"
                  " SET search_path = public, pg_catalog",
                  {"outreach.fn_safety_gate_check(p_company_unique_id text, p_campaign_id text, "
                   "p_correlation_id text, p_channel text, p_dry_run boolean)"}),
    "body": ("CREATE OR REPLACE FUNCTION shq.fn_is_blank(p_value text) RETURNS boolean LANGUAGE sql IMMUTABLE"
             " PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$ SELECT p_value IS NULL $$",
             {"shq.fn_is_blank(p_value text)"}),
    "owner": ("ALTER VIEW outreach.vw_tier_distribution OWNER TO postgres", {"outreach.vw_tier_distribution"}),
    "grant": ("GRANT UPDATE ON outreach.company_target TO outreach_reader", {"outreach.company_target"}),
    "pending_migration": ("DELETE FROM public._yoyo_migration WHERE migration_id = '0700_audit_seals'",
                          {"0700_audit_seals"}),
}


@pytest.mark.parametrize("case", sorted(DRIFTS))
def test_verify_fails_on_drift(fresh_db, case):
    dsn = fresh_db()
    statement, subjects = DRIFTS[case]
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET shq.migrating = on")  # past the DDL guard, as a DBA with a superuser could
        c.execute(statement)
    check = verify(dsn, skip=LIVE_ONLY)["checks"]["drift"]
    assert check["ok"] is False
    assert subjects <= {f["subject"] for f in check["failures"]}, (subjects, check["failures"])
    if case == "disabled":
        assert check["failures"][0]["problem"] == "trigger is DISABLE, the sources say ENABLE ALWAYS"


def test_verify_names_every_trigger_left_at_enable(fresh_db):
    """What ENABLE TRIGGER ALL does after a data-only restore: ENABLE
    ALWAYS triggers become ENABLE, and each is named."""
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        subjects = {f"{t}.{g}" for t, g in _guard_triggers(c) if t == "cl.company_identity"}
        assert subjects
        c.execute("SET shq.migrating = on")
        c.execute("ALTER TABLE cl.company_identity ENABLE TRIGGER USER")
    check = verify(dsn, skip=LIVE_ONLY)["checks"]["drift"]
    assert {f["subject"] for f in check["failures"]} == subjects
    assert {f["problem"] for f in check["failures"]} == {
        "trigger is ENABLE (skipped under session_replication_role = replica), the sources say ENABLE ALWAYS"}


def test_the_same_grants_in_another_order_are_no_drift(fresh_db):
    """An upgraded database can hold the same grants as the sources in another
    order (an ACL lists its entries in the order of the GRANTs that made them):
    revoking a role's right and granting it again moves the role to the end."""
    dsn = fresh_db()
    function = "outreach._hub_required_total()"
    with psycopg.connect(dsn, autocommit=True) as c:
        before = c.execute("SELECT proacl::text FROM pg_proc WHERE oid = %s::regprocedure", (function,)).fetchone()[0]
        c.execute("SET shq.migrating = on")
        c.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM outreach_reader")
        c.execute(f"GRANT EXECUTE ON FUNCTION {function} TO outreach_reader")
        after = c.execute("SELECT proacl::text FROM pg_proc WHERE oid = %s::regprocedure", (function,)).fetchone()[0]
    assert after != before and sorted(after.strip("{}").split(",")) == sorted(before.strip("{}").split(","))
    check = verify(dsn, skip=LIVE_ONLY)["checks"]["drift"]
    assert check["ok"] is True, check["failures"]


def test_an_extra_index_is_a_warning(fresh_db):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE INDEX zz_extra ON outreach.send_log (sent_at)")
    check = verify(dsn, skip=LIVE_ONLY)["checks"]["drift"]
    assert check["ok"] is True, "an extra index is a warning (a DBA may add one)"
    assert [w["subject"] for w in check["warnings"]] == ["outreach.send_log.zz_extra"]


def test_a_source_tree_that_does_not_migrate_fails_and_leaves_no_scratch(fresh_db, tmp_path, admin):
    root = copy_project(tmp_path / "proj")
    (root / "db" / "9999_zz_broken.sql").write_text("SELECT 1 / 0;\n")
    report = verify(fresh_db(), root, skip=LIVE_ONLY)
    drift = report["checks"]["drift"]
    assert report["ok"] is False and drift["failures"][0]["subject"] == "sources"
    assert "9999_zz_broken.sql" in drift["failures"][0]["problem"] and "22012" in drift["failures"][0]["problem"]
    assert scratch_databases(admin) == []


def test_verify_without_createdb_says_what_to_grant(login_role, dsn, server_dsn, dbname, run_pyctl, tmp_path):
    name, _ = login_role()
    p = run_pyctl(["verify", "--dsn", server_dsn(dbname, name), "--report", tmp_path / "r.json"])
    assert p.returncode == 1
    lines = error_lines(p)
    assert len(lines) == 1 and "Traceback" not in output(p), output(p)
    assert f"ALTER ROLE {name} CREATEDB" in lines[0], lines[0]


def test_verify_audit_fails_on_a_seal_that_is_not_ok(fresh_db):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET shq.migrating = on")  # the DDL guard protects the seal functions
        c.execute("DROP FUNCTION shq.fn_verify_audit_seals(regclass) CASCADE")
        c.execute("CREATE FUNCTION shq.fn_verify_audit_seals(p_table regclass DEFAULT NULL)"
                  " RETURNS TABLE(table_name text, seal_id bigint, status text, detail text)"
                  " LANGUAGE sql AS $$ VALUES ('shq.audit_log', 1::bigint, 'OK', NULL::text),"
                  " ('shq.audit_log', 2::bigint, 'ROW_CHANGED', 'digest differs') $$")
    check = verify(dsn, audit=True, skip=LIVE_ONLY + ("drift",))["checks"]["audit_seals"]
    assert check["ok"] is False
    assert [f["subject"] for f in check["failures"]] == [
        "table_name=shq.audit_log, seal_id=2, detail=digest differs"]
    assert check["failures"][0]["problem"] == "status ROW_CHANGED"
    assert check["info"]["rows"] == 2


def test_verify_audit_without_seal_function_is_skipped(fresh_db):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET shq.migrating = on")
        c.execute("DROP FUNCTION shq.fn_verify_audit_seals(regclass) CASCADE")
    check = verify(dsn, audit=True, skip=LIVE_ONLY + ("drift",))["checks"]["audit_seals"]
    assert check["ok"] is True and "skipped" in check["info"]


@pytest.mark.parametrize("check", ["pgtap", "plpgsql_check"])
def test_an_extension_the_server_lacks_is_one_line(fresh_db, monkeypatch, check, admin):
    """As if the server had no such package: the check fails saying what to
    install (the lookup is the real pg_available_extensions, for a name that
    no package provides)."""
    import pyctl.verify as V

    monkeypatch.setitem(V.EXTENSIONS, check, f"{check}_not_installed_here")
    report = verify(fresh_db(), skip=tuple(c for c in LIVE_ONLY if c != check) + ("drift",))
    result = report["checks"][check]
    assert report["ok"] is False and result["status"] == "failed"
    assert [f["problem"] for f in result["failures"]] == [
        f"58P01: the {check}_not_installed_here extension is not available on this server: install it"
        f" (Debian: apt-get install {V.EXTENSION_PACKAGES[check]})"]
    assert scratch_databases(admin) == []
