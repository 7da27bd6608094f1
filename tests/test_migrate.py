"""`pyctl migrate`: fresh install, idempotent re-run, --status, failures that
leave the database as it was, bad DSNs (docs/operator-guide.md)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest

from helpers import (closed_port, copy_project, error_lines, fingerprint, fingerprint_diff, output,
                     pyctl_executable)
from pyctl.resources import SQL_ROOT
from pyctl.migrate import MigrateError, migrate, read_manifest

BUDGET_S = 10.0


def test_migrate_empty_database_then_again_changes_nothing(fresh_db, run_pyctl):
    dsn = fresh_db("template0")
    result = migrate(dsn)
    assert result.seconds < BUDGET_S, f"migrate took {result.seconds:.1f}s (budget {BUDGET_S}s)"
    before = fingerprint(dsn)
    p = run_pyctl(["migrate", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert "up to date" in p.stdout
    after = fingerprint(dsn)
    assert before[1] == after[1], "row counts changed"
    assert fingerprint_diff(before, after) == []


def test_migrate_again_through_the_api_applies_nothing(fresh_db):
    dsn = fresh_db()
    before = fingerprint(dsn)
    result = migrate(dsn)
    assert result.applied == []
    assert result.repeatables == len(read_manifest())
    assert fingerprint_diff(before, fingerprint(dsn)) == []


def test_fresh_clone_matches_a_template_migrated_twice(fresh_db, dsn):
    """The template (migrated once) and a database migrated twice agree."""
    other = fresh_db("template0")
    migrate(other)
    migrate(other)
    a, b = fingerprint(dsn), fingerprint(other)
    assert fingerprint_diff(a, b) == []
    assert a[1] == b[1]


def test_status_lists_applied_and_pending(run_pyctl, dsn, fresh_db):
    migrations = sorted(p.name for p in (SQL_ROOT / "db").glob("*.sql") if not p.name.startswith("post-apply"))
    p = run_pyctl(["migrate", "--status", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert f"{len(migrations)} applied, 0 pending" in p.stdout, p.stdout
    for name in migrations:
        assert f"applied  db/{name}" in p.stdout
    empty = fresh_db("template0")
    p = run_pyctl(["migrate", "--status"], dsn=empty)  # through DATABASE_URL
    assert p.returncode == 0, output(p)
    assert f"0 applied, {len(migrations)} pending" in p.stdout, p.stdout


def test_concurrent_migrates_serialise(fresh_db):
    """Two deploys at once: the advisory lock makes the second wait; both succeed."""
    dsn = fresh_db("template0")
    procs = [subprocess.Popen([pyctl_executable(), "migrate", "--dsn", dsn], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, out + err
    ref = fresh_db("template0")
    migrate(ref)
    assert fingerprint_diff(fingerprint(dsn), fingerprint(ref)) == []


# ------------------------------------------------------------------ failures
def _break_repeatable(root: Path) -> str:
    """Append a file to the copy's manifest that creates a marker function
    and then fails; return its path."""
    rel = "functions/zz_test/broken.sql"
    (root / "functions" / "zz_test").mkdir(parents=True)
    (root / rel).write_text(
        "CREATE OR REPLACE FUNCTION public.pyctl_test_marker() RETURNS int LANGUAGE sql AS 'SELECT 1';\n"
        "SELECT 1 / 0;\n")
    with open(root / "db" / "manifest.txt", "a") as f:
        f.write(f"\n{rel}\n")
    return rel


def test_failing_repeatable_rolls_everything_back(fresh_db, run_pyctl, tmp_path):
    dsn = fresh_db()
    root = copy_project(tmp_path / "proj")
    rel = _break_repeatable(root)
    before = fingerprint(dsn)
    p = run_pyctl(["migrate", "--dsn", dsn, "--root", root])
    assert p.returncode != 0
    assert "Traceback" not in output(p)
    lines = error_lines(p)
    assert len(lines) == 1, output(p)
    assert rel in lines[0] and "22012" in lines[0], lines[0]
    after = fingerprint(dsn)
    assert fingerprint_diff(before, after) == [], "a failed repeatable pass left changes (views dropped?)"
    with psycopg.connect(dsn) as c:
        assert c.execute("SELECT to_regproc('public.pyctl_test_marker')").fetchone()[0] is None


def test_failing_migration_leaves_nothing_and_stays_pending(fresh_db, run_pyctl, tmp_path):
    dsn = fresh_db()
    root = copy_project(tmp_path / "proj")
    (root / "db" / "9999_zz_broken.sql").write_text(
        "CREATE TABLE public.pyctl_test_partial (x int);\nSELECT 1 / 0;\n")
    before = fingerprint(dsn)
    p = run_pyctl(["migrate", "--dsn", dsn, "--root", root])
    assert p.returncode != 0
    assert "Traceback" not in output(p)
    lines = error_lines(p)
    assert len(lines) == 1 and "db/9999_zz_broken.sql" in lines[0] and "22012" in lines[0], output(p)
    assert fingerprint_diff(before, fingerprint(dsn)) == []
    with psycopg.connect(dsn) as c:
        assert c.execute("SELECT to_regclass('public.pyctl_test_partial')").fetchone()[0] is None
    p = run_pyctl(["migrate", "--status", "--dsn", dsn, "--root", root])
    assert "pending  db/9999_zz_broken.sql" in p.stdout, output(p)


def test_missing_manifest_file_fails_before_touching_the_database(fresh_db, run_pyctl, tmp_path):
    dsn = fresh_db()
    root = copy_project(tmp_path / "proj")
    with open(root / "db" / "manifest.txt", "a") as f:
        f.write("\nfunctions/nowhere/missing.sql\n")
    with pytest.raises(MigrateError, match="functions/nowhere/missing.sql does not exist"):
        migrate(dsn, root)
    p = run_pyctl(["migrate", "--dsn", dsn, "--root", root])
    assert p.returncode != 0 and "Traceback" not in output(p)
    assert len(error_lines(p)) == 1 and "missing.sql" in p.stderr


@pytest.mark.parametrize("bad", [
    "postgresql://postgres@127.0.0.1:{port}/nowhere",
    "not a dsn at all",
    "postgresql://postgres@127.0.0.1:{server_port}/no_such_database",
    "postgresql://no_such_user@127.0.0.1:{server_port}/postgres",
])
def test_bad_dsn_is_one_line(bad, run_pyctl, pg_cluster):
    dsn = bad.format(port=closed_port(), server_port=pg_cluster.settings["port"])
    for args in (["migrate", "--dsn", dsn], ["migrate", "--status", "--dsn", dsn], ["verify", "--dsn", dsn]):
        p = run_pyctl(args, timeout=60)
        assert p.returncode != 0, output(p)
        assert "Traceback" not in output(p)
        assert len(error_lines(p)) == 1, output(p)


#: the company-keyed unique keys that carry the one column their readers want
#: (db/1801_unique_keys_carry_covered_columns.sql): table, constraint, INCLUDE column
COMPANY_KEYS = [("cl.company_identity", "company_identity_pkey", "eligibility_status"),
                ("outreach.outreach", "outreach_company_unique_id_key", "outreach_id"),
                ("outreach.company_target", "company_target_company_unique_id_key", "outreach_status")]


@pytest.mark.parametrize("table,constraint,included", COMPANY_KEYS)
def test_a_company_key_is_one_index_that_carries_its_covered_column(conn, table, constraint, included):
    rows = conn.execute("""
        SELECT i.indexrelid::regclass::text, i.indisunique, c.conname,
               array(SELECT a.attname::text FROM unnest(i.indkey[i.indnkeyatts:]) AS k(attnum)
                       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)
          FROM pg_index i
          LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
         WHERE i.indrelid = %s::regclass
           AND i.indkey[0] = (SELECT attnum FROM pg_attribute WHERE attrelid = %s::regclass
                                 AND attname = 'company_unique_id')""", (table, table)).fetchall()
    # one index leads with the company id: the key itself, unique, carrying the column
    assert [(r[1], r[2], r[3]) for r in rows] == [(True, constraint, [included])], rows
    with conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        conn.execute("SET LOCAL enable_bitmapscan = off")
        plan = "\n".join(r[0] for r in conn.execute(
            f"EXPLAIN (COSTS OFF) SELECT {included} FROM {table} WHERE company_unique_id = 'S42-00000001'"))
        assert f"Index Only Scan using {constraint}" in plan, plan


def test_the_foreign_keys_on_the_company_keys_are_validated_against_those_keys(conn):
    rows = conn.execute("""
        SELECT c.conrelid::regclass::text, c.conname, c.confrelid::regclass::text, k.conname, c.convalidated
          FROM pg_constraint c
          JOIN pg_constraint k ON k.conindid = c.conindid AND k.contype IN ('p', 'u') AND k.conrelid = c.confrelid
         WHERE c.contype = 'f' AND k.conname = ANY (%s)
         ORDER BY 1, 2""", ([k for _t, k, _c in COMPANY_KEYS],)).fetchall()
    assert rows == [
        ("outreach.company_hub_status", "company_hub_status_company_unique_id_fkey", "outreach.outreach",
         "outreach_company_unique_id_key", True),
        ("outreach.manual_overrides", "manual_overrides_company_unique_id_fkey", "cl.company_identity",
         "company_identity_pkey", True),
        ("outreach.outreach", "outreach_company_unique_id_fkey", "cl.company_identity", "company_identity_pkey", True),
    ]


def test_the_key_migration_fails_whole_on_a_row_that_breaks_a_foreign_key(fresh_db, run_pyctl, tmp_path):
    """A hub status of no spine company (only a superuser's replica-mode
    session can write one): the company-key migration's re-added foreign key
    refuses it with 23503, and the run leaves the database as it was, the
    migration pending (docs/reference/hubs.md, "Views")."""
    key_migration = "1801_unique_keys_carry_covered_columns"
    dsn = fresh_db("template0")
    before_keys = copy_project(tmp_path / "before")
    for later in (before_keys / "db").glob("*.sql"):   # it and the migrations after it
        if later.stem >= key_migration:
            later.unlink()
    p = run_pyctl(["migrate", "--dsn", dsn, "--root", before_keys], timeout=300)
    assert p.returncode == 0, output(p)
    with psycopg.connect(dsn) as c:
        c.execute("SET LOCAL session_replication_role = replica")   # no foreign-key triggers
        c.execute("SET LOCAL ROLE outreach_owner")                   # the guard's owner, sanctioned
        c.execute("SELECT set_config('shq.sanctioned_writer', 'outreach.company_hub_status', true)")
        c.execute("INSERT INTO outreach.company_hub_status (company_unique_id, hub_id, status)"
                  " VALUES ('NOPE-ORPHAN-1', 'company-target', 'PASS')")
    before = fingerprint(dsn)
    p = run_pyctl(["migrate", "--dsn", dsn], timeout=300)
    assert p.returncode != 0 and "Traceback" not in output(p), output(p)
    lines = error_lines(p)
    assert len(lines) == 1 and f"db/{key_migration}.sql" in lines[0] and "23503" in lines[0], output(p)
    assert "company_hub_status_company_unique_id_fkey" in output(p), output(p)
    assert fingerprint_diff(before, fingerprint(dsn)) == []
    with psycopg.connect(dsn) as c:
        # the covering copies and the old keys are still there
        assert c.execute("SELECT to_regclass('outreach.outreach_company_cover_idx') IS NOT NULL").fetchone()[0]
        assert c.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'company_hub_status_company_unique_id_fkey'"
                         " AND convalidated").fetchone()[0] == 1
    p = run_pyctl(["migrate", "--status", "--dsn", dsn])
    assert f"pending  db/{key_migration}.sql" in p.stdout, output(p)
