"""`pyctl audit head|seal|verify|guard`: output, exit codes, --dsn
and DATABASE_URL, and one clear line when something is wrong."""
from __future__ import annotations

import json

import psycopg


def _rows(conn, n=5):
    conn.execute("INSERT INTO shq.audit_log (event_type) SELECT 'CLI_TEST' FROM generate_series(1, %s)", (n,))


def test_head_seal_verify_round_trip(conn, dsn, run_pyctl, tmp_path):
    p = run_pyctl(["audit", "head", "--dsn", dsn])
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["table_name", "seal_id", "last_id", "seals", "rows_sealed", "sealed_at", "digest"]
    assert len(lines) == 2 + conn.execute("SELECT count(*) FROM shq.fn_audit_sealed_tables()").fetchone()[0]
    _rows(conn, 7)
    p = run_pyctl(["audit", "seal", "--max-rows", "3"], dsn=dsn)  # DATABASE_URL
    assert p.returncode == 0, p.stderr
    assert "shq.audit_log" in p.stdout and "seal(s)" in p.stdout
    p = run_pyctl(["audit", "seal", "--dsn", dsn])
    assert p.returncode == 0 and "nothing to seal" in p.stdout, p.stdout + p.stderr
    p = run_pyctl(["audit", "head", "--format", "json", "--dsn", dsn])
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    head = {h["table_name"]: h for h in doc["heads"]}
    expected = conn.execute("SELECT seal_id, encode(digest, 'hex') FROM shq.audit_seals"
                            " WHERE table_name = 'shq.audit_log' ORDER BY seal_id DESC LIMIT 1").fetchone()
    assert (head["shq.audit_log"]["seal_id"], head["shq.audit_log"]["digest"]) == expected
    assert head["shq.audit_log"]["rows_sealed"] == conn.execute("SELECT count(*) FROM shq.audit_log").fetchone()[0]
    stored = tmp_path / "heads.json"
    stored.write_text(p.stdout)
    p = run_pyctl(["audit", "verify", "--heads", stored, "--dsn", dsn])
    assert p.returncode == 0 and "audit seals: ok" in p.stdout, p.stdout + p.stderr
    p = run_pyctl(["audit", "verify", "--table", "shq.audit_log", "--dsn", dsn])
    assert p.returncode == 0 and len(p.stdout.splitlines()) == 2 + 1 + 1, p.stdout


def test_verify_with_bad_input_says_so_in_one_line(dsn, run_pyctl, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    for args, words in ((["audit", "verify", "--heads", bad], "not JSON"),
                        (["audit", "verify", "--heads", tmp_path / "missing.json"], "cannot read"),
                        (["audit", "verify", "--table", "cl.company_identity"], "22023")):
        p = run_pyctl([*args, "--dsn", dsn])
        assert p.returncode == 1, p.stdout + p.stderr
        assert words in p.stderr and "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr


def test_guard_status_and_install(dsn, run_pyctl):
    p = run_pyctl(["audit", "guard", "--dsn", dsn])
    assert p.returncode == 0 and "installed (3 event triggers, ENABLE ALWAYS)" in p.stdout, p.stdout + p.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("ALTER EVENT TRIGGER shq_ddl_guard_drop ENABLE")
    p = run_pyctl(["audit", "guard", "--dsn", dsn])
    assert p.returncode == 1 and "not fully installed" in p.stderr, p.stdout + p.stderr
    p = run_pyctl(["audit", "guard", "--install", "--dsn", dsn])
    assert p.returncode == 0 and "DDL guard: installed" in p.stdout, p.stdout + p.stderr


def test_unmigrated_database_is_one_clear_line(fresh_db, run_pyctl):
    dsn = fresh_db("template0")
    for sub in ("head", "seal", "verify"):
        p = run_pyctl(["audit", sub, "--dsn", dsn])
        assert p.returncode == 1 and "pyctl migrate" in p.stderr and "Traceback" not in p.stderr, p.stderr
