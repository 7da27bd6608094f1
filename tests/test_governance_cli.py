"""`pyctl governance ...` and `pyctl schedule` without pg_cron (docs/reference/governance.md):
the jobs, committed-batch archiving, operator actions with their audit rows,
and one clear line for every refusal."""
from __future__ import annotations

import pytest

from helpers import error_lines, output

TABLE = "outreach.dol_errors"


@pytest.fixture
def errors(conn):
    conn.execute("DELETE FROM outreach.dol_errors")
    conn.execute("DELETE FROM outreach.dol_errors_archive")
    yield conn


def audit_count(conn, event):
    return conn.execute("SELECT count(*) FROM shq.audit_log WHERE event_type = %s", (event,)).fetchone()[0]


def test_help_lists_the_subcommands(run_pyctl):
    p = run_pyctl(["governance", "--help"])
    assert p.returncode == 0, output(p)
    for sub in ("run", "archive", "cleanup", "summary", "blocking", "health", "archive-error", "resolve", "unpark"):
        assert f"  {sub} " in p.stdout, sub


def test_governance_run(errors, run_pyctl, dsn):
    conn = errors
    conn.execute(f"INSERT INTO {TABLE} (failure_code, created_at, ttl_tier) SELECT 'OLD', now() - interval '8 days', 'SHORT'"
                 " FROM generate_series(1, 3)")
    before = audit_count(conn, "ERROR_GOVERNANCE_RUN")
    p = run_pyctl(["governance", "run", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert "totals: park 0, archive 3, escalate 0" in p.stdout
    assert audit_count(conn, "ERROR_GOVERNANCE_RUN") == before + 1
    # the group-level --dsn works too
    p = run_pyctl(["governance", "--dsn", dsn, "run"], dsn="postgresql://nobody@127.0.0.1:1/none")
    assert p.returncode == 0, output(p)
    assert audit_count(conn, "ERROR_GOVERNANCE_RUN") == before + 2


def test_governance_archive_commits_per_batch(errors, run_pyctl, dsn):
    conn = errors
    conn.execute(f"INSERT INTO {TABLE} (failure_code, created_at, ttl_tier) SELECT 'OLD', now() - interval '8 days', 'SHORT'"
                 " FROM generate_series(1, 250)")
    p = run_pyctl(["governance", "archive", "--batch-size", "100", "--max-batches", "2", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert "total archived: 200" in p.stdout
    assert conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0] == 50
    p = run_pyctl(["governance", "archive", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert "total archived: 50" in p.stdout
    p = run_pyctl(["governance", "archive", "--batch-size", "0", "--dsn", dsn])
    assert p.returncode != 0


def test_operator_actions_are_audited(errors, run_pyctl, dsn):
    conn = errors
    eid = conn.execute("SELECT shq.fn_record_error(%s, NULL, 'HTTP_500', 'x')", (TABLE,)).fetchone()[0]
    for _ in range(5):
        conn.execute("SELECT shq.fn_register_retry_attempt(%s, %s, false)", (TABLE, eid))
    p = run_pyctl(["governance", "unpark", TABLE, eid, "--reason", "vendor fixed", "--actor", "ops@example", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert f"{TABLE} error {eid}: RETRY" in p.stdout
    assert conn.execute(f"SELECT disposition::text, retry_count FROM {TABLE} WHERE error_id = %s", (eid,)).fetchone() == ("RETRY", 0)
    p = run_pyctl(["governance", "resolve", TABLE, eid, "--reason", "done", "--actor", "ops@example", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    p = run_pyctl(["governance", "archive-error", TABLE, eid, "--reason", "cleanup", "--actor", "ops@example", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert conn.execute(f"SELECT archive_reason, archived_by, final_disposition::text FROM {TABLE}_archive"
                        " WHERE error_id = %s", (eid,)).fetchone() == ("MANUAL", "ops@example", "RESOLVED")
    audit = conn.execute("SELECT event_type, actor, details->>'reason', details->>'from_disposition', details->>'to_disposition'"
                         " FROM shq.audit_log WHERE event_type LIKE 'ERROR_MANUAL_%%' AND (details->>'error_id')::bigint = %s"
                         " ORDER BY audit_id", (eid,)).fetchall()
    assert audit == [("ERROR_MANUAL_UNPARK", "ops@example", "vendor fixed", "PARKED", "RETRY"),
                     ("ERROR_MANUAL_RESOLVE", "ops@example", "done", "RETRY", "RESOLVED"),
                     ("ERROR_MANUAL_ARCHIVE", "ops@example", "cleanup", "RESOLVED", "ARCHIVED")]


@pytest.mark.parametrize("args,code", [
    (["resolve", "outreach.nope", "1", "--reason", "r", "--actor", "a"], "22023"),
    (["resolve", TABLE, "999999", "--reason", "r", "--actor", "a"], "P0002"),
    (["unpark", TABLE, "999999", "--reason", "r", "--actor", "a"], "P0002"),
    (["archive-error", TABLE, "999999", "--reason", "r", "--actor", "a"], "P0002"),
    (["resolve", TABLE, "1", "--reason", " ", "--actor", "a"], "22023"),
    (["unpark", TABLE, "1", "--reason", "r", "--actor", ""], "22023"),
])
def test_refusals_are_one_line(errors, run_pyctl, dsn, args, code):
    before = audit_count(errors, "ERROR_MANUAL_RESOLVE") + audit_count(errors, "ERROR_MANUAL_UNPARK") \
        + audit_count(errors, "ERROR_MANUAL_ARCHIVE")
    p = run_pyctl(["governance", *args, "--dsn", dsn])
    assert p.returncode == 1, output(p)
    lines = error_lines(p)
    assert len(lines) == 1 and lines[0].startswith(f"pyctl: {code}: "), lines
    after = audit_count(errors, "ERROR_MANUAL_RESOLVE") + audit_count(errors, "ERROR_MANUAL_UNPARK") \
        + audit_count(errors, "ERROR_MANUAL_ARCHIVE")
    assert after == before


def test_views_and_health_from_the_cli(errors, run_pyctl, dsn):
    conn = errors
    oid = "33333333-3333-3333-3333-333333333333"
    conn.execute("SELECT shq.fn_record_error(%s, %s, 'HTTP_500', 'x')", (TABLE, oid))
    p = run_pyctl(["governance", "summary", "--dsn", dsn])
    assert p.returncode == 0 and TABLE in p.stdout and "RETRY" in p.stdout, output(p)
    p = run_pyctl(["governance", "blocking", "--dsn", dsn])
    assert p.returncode == 0 and oid in p.stdout, output(p)
    p = run_pyctl(["governance", "health", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert "outreach-error-governance-daily" in p.stdout and "PG_CRON_OTHER_DATABASE" in p.stdout


def test_schedule_without_pg_cron_says_how_to_enable_it(conn, run_pyctl, dsn):
    """This database is not cron.database_name: pyctl schedule exits non-zero
    with one clear line naming the fix; nothing is scheduled or audited."""
    before = audit_count(conn, "GOVERNANCE_JOBS_SCHEDULED")
    p = run_pyctl(["schedule", "--dsn", dsn])
    assert p.returncode == 1, output(p)
    lines = error_lines(p)
    assert len(lines) == 1, lines
    for text in ("pg_cron is missing", "55000", "cron.database_name", "shared_preload_libraries", "CREATE EXTENSION pg_cron"):
        assert text in lines[0], (text, lines[0])
    assert audit_count(conn, "GOVERNANCE_JOBS_SCHEDULED") == before
    p = run_pyctl(["schedule", "--status", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert "PG_CRON_OTHER_DATABASE" in p.stdout
