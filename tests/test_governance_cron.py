"""pg_cron for real (docs/reference/governance.md): the harness cluster preloads pg_cron with
cron.database_name = cron_test. This module migrates cron_test, then
schedules (idempotently), runs the jobs' commands, waits once for a real
minute-granularity run, and checks the health view and the role rules."""
from __future__ import annotations

import time
import uuid

import psycopg
import pytest
from psycopg import sql

from conftest import CRON_DB, _connect, cron_database
from helpers import error_lines, output

JOBS = {
    "outreach-error-governance-daily": ("0 3 * * *", "SELECT * FROM shq.fn_run_error_governance_jobs()"),
    "outreach-archive-cleanup-weekly": ("30 3 * * 0", "SELECT * FROM shq.fn_cleanup_expired_archives()"),
    "outreach-cron-history-prune-daily": (
        "15 3 * * *",
        "DELETE FROM cron.job_run_details WHERE coalesce(end_time, start_time) < now() - interval '30 days'"),
    # scheduled because the tamper-evidence area's shq.fn_seal_audit_tables() exists
    # (test_the_seal_job_follows_its_function checks the condition)
    "outreach-audit-seal-daily": ("45 2 * * *", "SELECT * FROM shq.fn_seal_audit_tables()"),
    # the metric snapshots (monitoring), scheduled because shq.fn_refresh_metrics_snapshot() exists
    "outreach-metrics-snapshot": ("*/5 * * * *", "SELECT * FROM shq.fn_refresh_metrics_snapshot()"),
    # the outbox's retention and tier reconciliation (docs/consuming-events.md)
    "outreach-outbox-retention-hourly": ("20 * * * *", "SELECT * FROM outreach.fn_outbox_archive_acked()"),
    "outreach-outbox-tiers-daily": ("0 4 * * *", "SELECT outreach.fn_outbox_reconcile_tiers()"),
}


@pytest.fixture(scope="module")
def cron_dsn(admin, server_dsn):
    """cron_test (conftest.cron_database) without the pg_cron extension: the
    first test creates it through `pyctl schedule`."""
    yield from cron_database(server_dsn, create_extension=False)


def jobs(conn):
    return {r[0]: r[1:] for r in conn.execute("SELECT jobname, jobid, schedule, command, username FROM cron.job").fetchall()}


def audit_count(conn, event):
    return conn.execute("SELECT count(*) FROM shq.audit_log WHERE event_type = %s", (event,)).fetchone()[0]


def health(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM shq.vw_governance_job_health")
        names = [d.name for d in cur.description]
        return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}


# ------------------------------------------------------------------ scheduling
def test_schedule_creates_the_extension_and_registers_the_jobs_idempotently(cron_dsn, cconn, run_pyctl):
    assert cconn.execute("SELECT shq._pg_cron_state()").fetchone()[0] == "PG_CRON_NOT_INSTALLED"
    with pytest.raises(psycopg.Error) as ei:
        cconn.execute("SELECT * FROM shq.fn_schedule_governance_jobs()")
    assert ei.value.sqlstate == "55000"
    assert "CREATE EXTENSION pg_cron" in (ei.value.diag.message_hint or "")
    assert health(cconn)["outreach-error-governance-daily"]["status"] == "PG_CRON_NOT_INSTALLED"

    before = audit_count(cconn, "GOVERNANCE_JOBS_SCHEDULED")
    p = run_pyctl(["schedule", "--dsn", cron_dsn])
    assert p.returncode == 0, output(p)
    assert "created extension pg_cron" in p.stdout
    first = jobs(cconn)
    assert set(first) == set(JOBS)
    for name, (schedule, command) in JOBS.items():
        assert first[name][1:3] == (schedule, command), name
        assert first[name][3] == "postgres", "jobs run as the role that scheduled them"

    p = run_pyctl(["schedule", "--dsn", cron_dsn])
    assert p.returncode == 0, output(p)
    assert "created extension" not in p.stdout
    assert jobs(cconn) == first, "a second run changes nothing: same names, ids, schedules"
    assert cconn.execute("SELECT count(*) FROM cron.job").fetchone()[0] == len(JOBS)
    assert audit_count(cconn, "GOVERNANCE_JOBS_SCHEDULED") == before + 2
    h = health(cconn)
    assert {n: (r["status"], r["overdue"]) for n, r in h.items()} == {n: ("NEVER_RUN", False) for n in JOBS}


def test_schedule_restores_a_changed_job_under_its_id(cconn):
    before = jobs(cconn)
    cconn.execute("SELECT cron.schedule('outreach-archive-cleanup-weekly', '*/5 * * * *', 'SELECT 1')")
    rows = cconn.execute("SELECT job_name, job_id FROM shq.fn_schedule_governance_jobs()").fetchall()
    assert dict(rows) == {n: v[0] for n, v in before.items()}
    assert jobs(cconn) == before


# ------------------------------------------------------------------ the jobs' commands
def test_each_job_command_runs(cconn):
    conn = cconn
    conn.execute("INSERT INTO outreach.dol_errors (failure_code, created_at, ttl_tier)"
                 " VALUES ('CMD_TEST', now() - interval '8 days', 'SHORT')")
    conn.execute("INSERT INTO outreach.company_target_errors_archive (error_id, failure_code, created_at, disposition,"
                 " retry_count, max_retries, escalation_level, ttl_tier, retry_exhausted, archive_reason,"
                 " final_disposition, retention_expires_at) VALUES (424242, 'OLD', now() - interval '2 years', 'ARCHIVED',"
                 " 0, 3, 0, 'LONG', false, 'TTL_EXPIRED', 'RESOLVED', now() - interval '1 day')")
    jid = jobs(conn)["outreach-error-governance-daily"][0]
    conn.execute("INSERT INTO cron.job_run_details (jobid, runid, job_pid, database, username, command, status,"
                 " return_message, start_time, end_time) VALUES"
                 " (%s, 900001, 1, current_database(), 'postgres', 'x', 'succeeded', 'old', now() - interval '40 days',"
                 "  now() - interval '40 days'),"
                 " (%s, 900002, 1, current_database(), 'postgres', 'x', 'succeeded', 'recent', now() - interval '29 days',"
                 "  now() - interval '29 days')", (jid, jid))
    before = audit_count(conn, "ERROR_GOVERNANCE_RUN")
    commands = {n: v[2] for n, v in jobs(conn).items()}

    rows = conn.execute(commands["outreach-error-governance-daily"]).fetchall()
    assert ("archive", "outreach.dol_errors", 1) in rows
    assert audit_count(conn, "ERROR_GOVERNANCE_RUN") == before + 1
    assert conn.execute("SELECT count(*) FROM outreach.dol_errors_archive WHERE failure_code = 'CMD_TEST'").fetchone()[0] == 1

    rows = conn.execute(commands["outreach-archive-cleanup-weekly"]).fetchall()
    assert ("outreach.company_target_errors", 1) in rows

    conn.execute(commands["outreach-cron-history-prune-daily"])
    left = {r[0] for r in conn.execute("SELECT runid FROM cron.job_run_details WHERE runid >= 900001").fetchall()}
    assert left == {900002}, "only history older than 30 days is pruned"
    conn.execute("DELETE FROM cron.job_run_details WHERE runid >= 900001")


def test_a_real_cron_run_archives_and_audits(cconn):
    """Waits (once) for pg_cron itself to run the governance job."""
    conn = cconn
    conn.execute("INSERT INTO outreach.dol_errors (failure_code, created_at, ttl_tier)"
                 " VALUES ('CRON_RUN', now() - interval '8 days', 'SHORT')")
    t0 = conn.execute("SELECT now()").fetchone()[0]
    jid = conn.execute("SELECT cron.schedule('outreach-error-governance-daily', '* * * * *',"
                       " 'SELECT * FROM shq.fn_run_error_governance_jobs()')").fetchone()[0]
    try:
        deadline = time.monotonic() + 150
        status = None
        while time.monotonic() < deadline:
            row = conn.execute("SELECT status, return_message FROM cron.job_run_details WHERE jobid = %s"
                               " AND start_time >= %s AND status IN ('succeeded', 'failed') ORDER BY runid DESC LIMIT 1",
                               (jid, t0)).fetchone()
            if row:
                status = row
                break
            time.sleep(2)
        assert status is not None, "pg_cron did not run the job within 150 s"
        assert status[0] == "succeeded", status
        assert conn.execute("SELECT count(*) FROM outreach.dol_errors_archive WHERE failure_code = 'CRON_RUN'").fetchone()[0] == 1
        audit = conn.execute("SELECT actor, details->'totals'->>'archive' FROM shq.audit_log"
                             " WHERE event_type = 'ERROR_GOVERNANCE_RUN' AND occurred_at >= %s", (t0,)).fetchall()
        assert audit and audit[0] == ("postgres", "1"), audit
        h = health(conn)["outreach-error-governance-daily"]
        assert (h["status"], h["overdue"], h["failures"]) == ("SUCCEEDED", False, 0)
        assert h["last_success_at"] is not None and h["last_run_at"] >= t0
    finally:
        conn.execute("SELECT * FROM shq.fn_schedule_governance_jobs()")
    assert jobs(conn)["outreach-error-governance-daily"][1] == "0 3 * * *", "the daily schedule is back"


# ------------------------------------------------------------------ health
def test_health_overdue_failures_inactive(cconn):
    conn = cconn
    ids = {n: v[0] for n, v in jobs(conn).items()}
    conn.execute("DELETE FROM cron.job_run_details")
    weekly, daily, prune = (ids["outreach-archive-cleanup-weekly"], ids["outreach-error-governance-daily"],
                            ids["outreach-cron-history-prune-daily"])
    runs = [
        (weekly, 910001, "succeeded", "15 days"),   # last success 15 days ago: > 2 x 7 days
        (weekly, 910002, "failed", "2 days"),
        (weekly, 910003, "failed", "1 day"),
        (daily, 910004, "failed", "40 hours"),
        (daily, 910005, "succeeded", "1 hour"),
        (prune, 910006, "succeeded", "13 days"),    # overdue
    ]
    for jid, runid, status, ago in runs:
        conn.execute("INSERT INTO cron.job_run_details (jobid, runid, job_pid, database, username, command, status,"
                     " return_message, start_time, end_time) VALUES (%s, %s, 1, current_database(), 'postgres', 'x', %s,"
                     " 'test', now() - %s::interval, now() - %s::interval)", (jid, runid, status, ago, ago))
    h = health(conn)
    assert (h["outreach-archive-cleanup-weekly"]["status"], h["outreach-archive-cleanup-weekly"]["overdue"],
            h["outreach-archive-cleanup-weekly"]["failures"]) == ("FAILED", True, 2)
    assert (h["outreach-error-governance-daily"]["status"], h["outreach-error-governance-daily"]["overdue"],
            h["outreach-error-governance-daily"]["failures"]) == ("SUCCEEDED", False, 1)
    assert (h["outreach-cron-history-prune-daily"]["status"], h["outreach-cron-history-prune-daily"]["overdue"]) \
        == ("SUCCEEDED", True)
    conn.execute("SELECT cron.alter_job(%s, active := false)", (daily,))
    try:
        assert health(conn)["outreach-error-governance-daily"]["status"] == "INACTIVE"
    finally:
        conn.execute("SELECT cron.alter_job(%s, active := true)", (daily,))
    conn.execute("DELETE FROM cron.job_run_details WHERE runid >= 910001")


# ------------------------------------------------------------------ roles
def test_a_governor_login_schedules_its_own_jobs(cconn, cron_dsn, server_dsn):
    conn = cconn
    role = f"gov_{uuid.uuid4().hex[:8]}"
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE outreach_governor").format(sql.Identifier(role)))
    try:
        with _connect(server_dsn(CRON_DB, role)) as g:
            assert g.execute("SELECT shq._pg_cron_state()").fetchone()[0] == "PG_CRON_NO_ACCESS"
            with pytest.raises(psycopg.Error) as ei:
                g.execute("SELECT * FROM shq.fn_schedule_governance_jobs()")
            assert ei.value.sqlstate == "42501"
            assert "GRANT USAGE ON SCHEMA cron" in (ei.value.diag.message_hint or "")
            assert health(g)["outreach-error-governance-daily"]["status"] == "PG_CRON_NO_ACCESS"
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA cron TO {}").format(sql.Identifier(role)))
            rows = g.execute("SELECT job_name FROM shq.fn_schedule_governance_jobs()").fetchall()
            assert {r[0] for r in rows} == set(JOBS)
            h = health(g)
            assert {r["username"] for r in h.values()} == {role}, "the role sees its own jobs (pg_cron row security)"
        owners = conn.execute("SELECT username, count(*) FROM cron.job GROUP BY 1 ORDER BY 1").fetchall()
        assert dict(owners) == {"postgres": len(JOBS), role: len(JOBS)}
    finally:
        conn.execute("DELETE FROM cron.job WHERE username = %s", (role,))
        conn.execute(sql.SQL("REVOKE USAGE ON SCHEMA cron FROM {}").format(sql.Identifier(role)))
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_a_reader_sees_health_rows_without_cron_access(cconn, server_dsn):
    conn = cconn
    role = f"rdr_{uuid.uuid4().hex[:8]}"
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE outreach_reader").format(sql.Identifier(role)))
    try:
        with _connect(server_dsn(CRON_DB, role)) as r:
            h = health(r)
            assert {n: (v["status"], v["overdue"]) for n, v in h.items()} == \
                {n: ("PG_CRON_NO_ACCESS", None) for n in JOBS}
            with pytest.raises(psycopg.Error) as ei:
                r.execute("SELECT * FROM shq.fn_schedule_governance_jobs()")
            assert ei.value.sqlstate == "42501"
    finally:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
        conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_the_seal_job_follows_its_function(cconn):
    """The sealing job is listed exactly when shq.fn_seal_audit_tables() exists."""
    conn = cconn
    names = lambda: {r[0] for r in conn.execute("SELECT job_name FROM shq._governance_job_specs()").fetchall()}
    assert conn.execute("SELECT to_regproc('shq.fn_seal_audit_tables') IS NOT NULL").fetchone()[0]
    assert names() == set(JOBS)
    with conn.transaction():
        conn.execute("SET LOCAL shq.migrating = on")   # the tamper area's DDL guard lets migrations rename functions
        conn.execute("ALTER FUNCTION shq.fn_seal_audit_tables(interval, integer) RENAME TO zz_renamed_for_test")
        assert names() == set(JOBS) - {"outreach-audit-seal-daily"}
        conn.execute("ALTER FUNCTION shq.zz_renamed_for_test(interval, integer) RENAME TO fn_seal_audit_tables")


def test_pyctl_schedule_status(cron_dsn, run_pyctl):
    p = run_pyctl(["schedule", "--status", "--dsn", cron_dsn])
    assert p.returncode == 0, output(p)
    for name in JOBS:
        assert name in p.stdout
    assert error_lines(p) == []
