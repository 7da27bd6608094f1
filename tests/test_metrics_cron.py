"""Job health with pg_cron for real, in the harness's cron database
(cron.database_name = cron_test): the state report agrees with `pyctl
schedule --status` and tells "never run yet" from "cannot read pg_cron";
the job snapshot behind the outreach_job_* metrics reads pg_cron's history
as the role that scheduled the jobs, and a role that cannot see them never
overwrites what that role saw."""
from __future__ import annotations

import json
import time
import uuid

import psycopg
import pytest
from psycopg import sql

from conftest import CRON_DB, _connect, cron_database
from helpers import output

GOV, CLEANUP = "outreach-error-governance-daily", "outreach-archive-cleanup-weekly"


@pytest.fixture(scope="module")
def cron_dsn(admin, server_dsn):
    """cron_test (conftest.cron_database) with pg_cron created and no job yet."""
    from pyctl.cluster import has_pg_cron

    if not has_pg_cron():
        pytest.fail("pg_cron is not installed (Makefile APT_PACKAGES: postgresql-15-cron)", pytrace=False)
    yield from cron_database(server_dsn, create_extension=True)


@pytest.fixture
def cron_login(cconn, server_dsn):
    """cron_login(*groups, cron_usage=False) -> (role, connection to cron_test)."""
    made, conns = [], []

    def make(*groups, cron_usage=False):
        role = f"mc_{uuid.uuid4().hex[:8]}"
        cconn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        made.append(role)
        for g in groups:
            cconn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(g), sql.Identifier(role)))
        if cron_usage:
            cconn.execute(sql.SQL("GRANT USAGE ON SCHEMA cron TO {}").format(sql.Identifier(role)))
        c = _connect(server_dsn(CRON_DB, role))
        conns.append(c)
        return role, c

    yield make
    for c in conns:
        c.close()
    for role in made:
        cconn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
        cconn.execute(sql.SQL("REVOKE ALL ON SCHEMA cron FROM {}").format(sql.Identifier(role)))
        cconn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def statuses(conn) -> dict[str, str]:
    return dict(conn.execute("SELECT job_name, status FROM shq.vw_governance_job_health").fetchall())


def job_metrics(conn) -> dict[str, dict]:
    with conn.cursor() as cur:
        cur.execute("SELECT * FROM shq.vw_metrics_job")
        names = [d.name for d in cur.description]
        return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}


@pytest.fixture(scope="module")
def scheduled(cron_dsn, run_pyctl):
    """`pyctl schedule` as postgres; the schedules then moved to January 1st so
    that pg_cron runs nothing while this module looks at the history."""
    p = run_pyctl(["schedule", "--dsn", cron_dsn])
    assert p.returncode == 0, output(p)
    with _connect(cron_dsn) as c:
        for (jid,) in c.execute("SELECT jobid FROM cron.job").fetchall():
            c.execute("SELECT cron.alter_job(%s, schedule := '0 0 1 1 *')", (jid,))
        c.execute("DELETE FROM cron.job_run_details")
        return {n: j for n, j in c.execute("SELECT jobname, jobid FROM cron.job").fetchall()}


# ------------------------------------------------------------------ the state report (issue: job health)
def test_state_agrees_with_schedule_status_right_after_scheduling(scheduled, cron_dsn, run_pyctl):
    status = run_pyctl(["schedule", "--status", "--dsn", cron_dsn])
    assert status.returncode == 0, output(status)
    lines = {ln.split()[0]: ln for ln in status.stdout.splitlines() if ln.startswith("outreach-")}
    assert set(lines) == set(scheduled)
    assert all(" NEVER_RUN " in ln for ln in lines.values()), status.stdout

    js = run_pyctl(["state", "--format", "json", "--dsn", cron_dsn])
    assert js.returncode == 0, output(js)
    rows = json.loads(js.stdout)["job_health"]["rows"]
    assert {r["job_name"]: r["status"] for r in rows} == {n: "NEVER_RUN" for n in scheduled}

    text = run_pyctl(["state", "--dsn", cron_dsn]).stdout
    block = text.split("\nJOB HEALTH\n", 1)[1].split("\n\n", 1)[0]
    assert block.count("NEVER_RUN") >= len(scheduled) and "PG_CRON" not in block, block
    assert "NEVER_RUN: scheduled, no run yet" in block


def test_state_tells_cannot_read_and_not_visible_from_never_run(scheduled, cron_login, cron_dsn, server_dsn):
    from pyctl.state import collect, render_text

    role, _c = cron_login("outreach_governor")
    state = collect(server_dsn(CRON_DB, role))
    assert {r["status"] for r in state["job_health"]["rows"]} == {"PG_CRON_NO_ACCESS"}
    assert "PG_CRON_NO_ACCESS: cannot read pg_cron: this role has no USAGE on schema cron" in render_text(state)

    role, _c = cron_login("outreach_governor", cron_usage=True)
    state = collect(server_dsn(CRON_DB, role))
    assert {r["status"] for r in state["job_health"]["rows"]} == {"NOT_VISIBLE"}
    assert {r["scheduled_as"] for r in state["job_health"]["rows"]} == {"postgres"}
    text = render_text(state)
    assert "NOT_VISIBLE: scheduled by another role" in text and "scheduled as postgres" in text


# ------------------------------------------------------------------ the job snapshot
def _run(conn, jobid, runid, status, ago):
    conn.execute("INSERT INTO cron.job_run_details (jobid, runid, job_pid, database, username, command, status,"
                 " return_message, start_time, end_time) VALUES (%s, %s, 1, current_database(), 'postgres', 'x', %s,"
                 " %s, now() - %s::interval, now() - %s::interval)", (jobid, runid, status, status, ago, ago))


def _epoch(conn, ago: str) -> float:
    return float(conn.execute("SELECT extract(epoch FROM now() - %s::interval)", (ago,)).fetchone()[0])


def test_the_job_snapshot_reads_pg_cron_history(scheduled, cconn, cron_login):
    _run(cconn, scheduled[GOV], 920001, "failed", "2 days")
    _run(cconn, scheduled[GOV], 920002, "succeeded", "1 hour")
    _run(cconn, scheduled[CLEANUP], 920003, "succeeded", "20 days")
    _run(cconn, scheduled[CLEANUP], 920004, "failed", "1 day")
    rows = dict((n, r) for n, r, _ms, _d in cconn.execute("SELECT * FROM shq.fn_refresh_metrics_snapshot()").fetchall())
    assert rows == {"tier": True, "spine": True, "bit": True, "job": True}
    _m, mon = cron_login("outreach_monitor")
    got = job_metrics(mon)
    assert set(got) == set(scheduled)
    gov, cleanup = got[GOV], got[CLEANUP]
    assert (gov["scheduled"], gov["visible"], gov["last_run_failed"], gov["overdue"], gov["failures_30d"]) == \
        (1, 1, 0, 0, 1)
    assert abs(gov["last_success_timestamp_seconds"] - _epoch(cconn, "1 hour")) < 5
    assert abs(gov["last_failure_timestamp_seconds"] - _epoch(cconn, "2 days")) < 5
    assert (cleanup["last_run_failed"], cleanup["overdue"], cleanup["failures_30d"]) == (1, 1, 1)
    assert abs(cleanup["last_failure_timestamp_seconds"] - _epoch(cconn, "1 day")) < 5
    never = got["outreach-cron-history-prune-daily"]
    assert (never["scheduled"], never["last_run_failed"]) == (1, 0) and never["last_run_timestamp_seconds"] is None


def test_a_role_that_cannot_see_the_jobs_keeps_the_stored_job_health(scheduled, cconn, cron_login):
    cconn.execute("SELECT * FROM shq.fn_refresh_metrics_snapshot()").fetchall()
    before = cconn.execute("SELECT data, refreshed_at FROM shq.metrics_snapshot WHERE name = 'job'").fetchone()
    assert before[0]["sees_cron"] is True
    for usage in (False, True):      # PG_CRON_NO_ACCESS, then NOT_VISIBLE
        role, gov = cron_login("outreach_governor", cron_usage=usage)
        rows = {n: (r, d) for n, r, _ms, d in gov.execute("SELECT * FROM shq.fn_refresh_metrics_snapshot()").fetchall()}
        assert rows["tier"] == (True, None)
        assert rows["job"] == (False, f"kept the stored job health: role {role} cannot see the pg_cron jobs")
        assert cconn.execute("SELECT data, refreshed_at FROM shq.metrics_snapshot WHERE name = 'job'").fetchone() \
            == before


def test_the_first_job_snapshot_is_stored_even_when_blind_and_replaced_by_a_seeing_one(scheduled, cconn, cron_login):
    cconn.execute("DELETE FROM shq.metrics_snapshot WHERE name = 'job'")
    _role, gov = cron_login("outreach_governor")
    gov.execute("SELECT * FROM shq.fn_refresh_metrics_snapshot()").fetchall()
    _m, mon = cron_login("outreach_monitor")
    got = job_metrics(mon)
    assert {(r["visible"], r["scheduled"]) for r in got.values()} == {(0, 0)}
    time.sleep(0.01)
    cconn.execute("SELECT * FROM shq.fn_refresh_metrics_snapshot()").fetchall()
    got = job_metrics(mon)
    assert {(r["visible"], r["scheduled"]) for r in got.values()} == {(1, 1)}
