"""`pyctl verify`: passes on a migrated database; names every offender it
finds (SPEC §13, §14, §16.14)."""
from __future__ import annotations

import json

import psycopg

from helpers import output
from pyctl import policy
from pyctl.verify import verify


def test_verify_passes_on_a_migrated_database(run_pyctl, dsn, tmp_path):
    report_path = tmp_path / "report.json"
    p = run_pyctl(["verify", "--dsn", dsn, "--report", report_path])
    assert p.returncode == 0, output(p)[-4000:]
    report = json.loads(report_path.read_text())
    assert report["ok"] is True
    assert set(report["checks"]) == {"pgtap", "plpgsql_check", "security", "mutation_guard"}


def test_verify_leaves_nothing_behind(dsn):
    with psycopg.connect(dsn) as c:
        before = c.execute("SELECT array_agg(extname ORDER BY extname) FROM pg_extension").fetchone()[0]
    verify(dsn, skip=("pgtap",))  # the pgTAP files roll themselves back; the rest is checked here
    with psycopg.connect(dsn) as c:
        after = c.execute("SELECT array_agg(extname ORDER BY extname) FROM pg_extension").fetchone()[0]
    assert before == after


def _guarded_table(c) -> str | None:
    tables = policy.sovereign_tables(c)
    return tables[0] if tables else None


def test_verify_names_every_offender(fresh_db, run_pyctl, tmp_path):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE SCHEMA IF NOT EXISTS cl")
        c.execute("SET check_function_bodies = off")
        c.execute("CREATE FUNCTION cl.zz_broken() RETURNS int LANGUAGE plpgsql AS"
                  " $$ BEGIN RETURN (SELECT no_such_column FROM pg_catalog.pg_class LIMIT 1); END $$")
        c.execute("CREATE FUNCTION cl.zz_unpinned_definer() RETURNS int LANGUAGE sql SECURITY DEFINER AS 'SELECT 1'")
        c.execute("REVOKE ALL ON FUNCTION cl.zz_unpinned_definer() FROM PUBLIC")
        c.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'outreach_reader')"
                  " THEN CREATE ROLE outreach_reader NOLOGIN; END IF; END $$")
        c.execute("GRANT EXECUTE ON FUNCTION cl.zz_unpinned_definer() TO outreach_reader")
        table = _guarded_table(c)
        if table:
            c.execute(f"GRANT DELETE ON {table} TO outreach_reader")
    report_path = tmp_path / "r.json"
    p = run_pyctl(["verify", "--dsn", dsn, "--report", report_path, "--skip", "pgtap"])
    out = output(p)
    assert p.returncode != 0, out
    assert "Traceback" not in out
    report = json.loads(report_path.read_text())
    assert report["ok"] is False
    for needle in ("cl.zz_broken()", "cl.zz_unpinned_definer()", "outreach_reader"):
        assert needle in out, (needle, out)
        assert needle in report_path.read_text(), needle
    checks = report["checks"]
    assert not checks["plpgsql_check"]["ok"] and not checks["security"]["ok"] and not checks["mutation_guard"]["ok"]
    problems = [f["problem"] for f in checks["security"]["failures"]]
    assert any("search_path" in x for x in problems) and any("PUBLIC" in x for x in problems), problems
    if table:
        assert any(f["subject"] == "outreach_reader" and table in f["problem"]
                   for f in checks["mutation_guard"]["failures"]), checks["mutation_guard"]


def test_verify_audit_fails_on_a_seal_that_is_not_ok(fresh_db):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("SET shq.migrating = on")  # the DDL guard protects the seal functions
        c.execute("CREATE SCHEMA IF NOT EXISTS shq")
        c.execute("DROP FUNCTION shq.fn_verify_audit_seals(regclass) CASCADE")
        c.execute("CREATE FUNCTION shq.fn_verify_audit_seals(p_table regclass DEFAULT NULL)"
                  " RETURNS TABLE(table_name text, seal_id bigint, status text, detail text)"
                  " LANGUAGE sql AS $$ VALUES ('shq.audit_log', 1::bigint, 'OK', NULL::text),"
                  " ('shq.audit_log', 2::bigint, 'ROW_CHANGED', 'digest differs') $$")
    check = verify(dsn, audit=True, skip=("pgtap",))["checks"]["audit_seals"]
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
    check = verify(dsn, audit=True, skip=("pgtap",))["checks"]["audit_seals"]
    assert check["ok"] is True and "skipped" in check["info"]
