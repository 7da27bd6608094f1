"""Metric families in SQL (docs/monitoring.md): every family's value for a
known data set, read as a login of outreach_monitor; what that role may and
may not read; the snapshot refresh (one at a time, job health kept when the
caller cannot see pg_cron); the exporter queries file against the views; and
`pyctl metrics`."""
from __future__ import annotations

import shutil
import threading

import psycopg
import pytest

from helpers import output
from metrics_support import build_known_dataset, expected, mismatches
from pyctl import metrics
from pyctl.errors import PyctlError


@pytest.fixture(scope="module")
def known(dsn):
    with psycopg.connect(dsn, autocommit=True) as c:
        build_known_dataset(c)
        return expected(c)


def samples(conn) -> dict:
    return {(name, frozenset(labels.items())): value for name, labels, value in metrics.scrape(conn)}


# ------------------------------------------------------------------ values
def test_every_family_reports_the_known_dataset_to_the_monitor_role(known, login_role):
    _name, mon = login_role("outreach_monitor")
    got = samples(mon)
    assert mismatches(known, got) == []
    families = {f.name for f in metrics.families(mon)}
    assert families == {"outreach_bit", "outreach_delivery", "outreach_gate", "outreach_governed",
                        "outreach_job", "outreach_outbox", "outreach_overrides", "outreach_seal", "outreach_snapshot",
                        "outreach_spine", "outreach_tier"}
    assert all(any(name.startswith(f + "_") for f in families) for name, _l in got)


def test_families_follow_the_data(known, conn, login_role):
    """A new active override and a new gate verdict show at the next scrape;
    the tier family moves only with the snapshot."""
    _name, mon = login_role("outreach_monitor")
    conn.execute("SELECT outreach.set_marketing_override('K-C', 'BLOCK_OUTREACH', 'test', 'tester')")
    try:
        got = samples(mon)
        assert got[("outreach_overrides_active", frozenset({("override_type", "BLOCK_OUTREACH")}))] == 1
        assert got[("outreach_tier_companies", frozenset({("effective_tier", "0")}))] == 2
        assert conn.execute("SELECT block_reason FROM outreach.fn_safety_gate_check('K-C', 'K-CAMP', 'k', 'EMAIL')"
                            ).fetchone()[0] == "MARKETING_DISABLED"
        got = samples(mon)
        for window in ("5m", "1h"):
            assert got[("outreach_gate_attempts",
                        frozenset({("time_window", window), ("verdict", "MARKETING_DISABLED")}))] == 1
    finally:
        conn.execute("SELECT outreach.remove_marketing_override('K-C', 'BLOCK_OUTREACH', 'test', 'tester')")


# ------------------------------------------------------------------ privileges
def test_the_monitor_role_reads_the_metric_views_and_nothing_else(known, login_role):
    _name, mon = login_role("outreach_monitor")
    for fam in metrics.families(mon):
        mon.execute(f"SELECT * FROM {fam.qualified_view}").fetchall()
    for stmt in ("SELECT * FROM outreach.manual_overrides", "SELECT * FROM shq.metrics_snapshot",
                 "SELECT * FROM outreach.send_attempt_audit", "SELECT * FROM shq.vw_governance_job_health",
                 "SELECT * FROM outreach.vw_marketing_eligibility_with_overrides",
                 "SELECT * FROM shq.fn_refresh_metrics_snapshot()",
                 "SELECT * FROM shq._store_metrics_snapshot('[]')",
                 "UPDATE shq.metrics_snapshot SET data = '{}'"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            mon.execute(stmt)


def test_no_metric_object_is_granted_to_public(conn):
    rows = conn.execute(
        "SELECT c.relname FROM pg_class c, LATERAL aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a"
        " WHERE c.relnamespace = 'shq'::regnamespace AND (c.relname LIKE 'vw\\_metrics\\_%%'"
        "   OR c.relname = 'metrics_snapshot') AND a.grantee = 0"
        " UNION ALL"
        " SELECT p.proname FROM pg_proc p, LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a"
        " WHERE p.pronamespace = 'shq'::regnamespace AND p.proname LIKE '%%metrics%%' AND a.grantee = 0").fetchall()
    assert rows == []


def test_verify_accepts_the_monitor_role(known, dsn):
    from pyctl.verify import check_mutation_guard

    with psycopg.connect(dsn, autocommit=True) as c:
        check = check_mutation_guard(c)
    assert check["ok"], check["failures"]
    held = {(g["role"], g["object"]) for g in check["info"]["grants"]}
    assert ("outreach_monitor", "shq._metrics_seal_lag()") in held
    assert ("outreach_monitor", "shq._metrics_governed_errors()") in held


def test_verify_fails_when_the_monitor_role_gets_a_writer(known, dsn, conn):
    from pyctl.verify import check_mutation_guard

    conn.execute("GRANT EXECUTE ON FUNCTION shq._store_metrics_snapshot(jsonb, numeric) TO outreach_monitor")
    try:
        with psycopg.connect(dsn, autocommit=True) as c:
            check = check_mutation_guard(c)
        assert not check["ok"]
        assert any(f["subject"] == "outreach_monitor" and "_store_metrics_snapshot" in f["problem"]
                   for f in check["failures"]), check["failures"]
    finally:
        conn.execute("REVOKE EXECUTE ON FUNCTION shq._store_metrics_snapshot(jsonb, numeric) FROM outreach_monitor")


# ------------------------------------------------------------------ snapshots
def test_one_refresh_at_a_time(known, new_conn):
    holder = new_conn(autocommit=False)
    holder.execute("SELECT * FROM shq.fn_refresh_metrics_snapshot()").fetchall()   # holds the lock until commit
    try:
        rows = new_conn().execute("SELECT name, refreshed, detail FROM shq.fn_refresh_metrics_snapshot()").fetchall()
        assert rows == [(n, False, "another refresh is running") for n in ("tier", "spine", "bit", "job")]
    finally:
        holder.rollback()


def test_concurrent_refreshes_leave_one_row_per_snapshot(known, new_conn, conn):
    errors = []

    def refresh():
        try:
            new_conn().execute("SELECT * FROM shq.fn_refresh_metrics_snapshot()").fetchall()
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert conn.execute("SELECT name, count(*) FROM shq.metrics_snapshot GROUP BY 1 ORDER BY 1").fetchall() == \
        [("bit", 1), ("job", 1), ("spine", 1), ("tier", 1)]


@pytest.mark.parametrize("jobs, why", [
    ("null", "NULL"), ('{"a": 1}', "object"), ('[{"job_name": "no-such-job"}]', "no-such-job"),
    ('[{"status": "OK"}]', "NULL")])
def test_store_refuses_bad_job_health(known, conn, jobs, why):
    before = conn.execute("SELECT name, refreshed_at FROM shq.metrics_snapshot ORDER BY 1").fetchall()
    with pytest.raises(psycopg.Error) as ei:
        conn.execute("SELECT * FROM shq._store_metrics_snapshot(%s::jsonb)", (None if jobs == "null" else jobs,))
    assert ei.value.sqlstate == "22023"
    assert why in ei.value.diag.message_primary
    assert conn.execute("SELECT name, refreshed_at FROM shq.metrics_snapshot ORDER BY 1").fetchall() == before


def test_a_governor_login_refreshes_and_the_monitor_does_not(known, login_role):
    _g, gov = login_role("outreach_governor")
    rows = gov.execute("SELECT name, refreshed FROM shq.fn_refresh_metrics_snapshot()").fetchall()
    assert dict(rows) == {"tier": True, "spine": True, "bit": True, "job": True}
    _m, mon = login_role("outreach_monitor")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        mon.execute("SELECT * FROM shq.fn_refresh_metrics_snapshot()")


# ------------------------------------------------------------------ the exporter file
def test_the_shipped_queries_file_matches_the_views(known, conn):
    assert metrics.check_queries(conn) == [], (
        "monitoring/postgres_exporter/queries.yaml is out of date: "
        "`pyctl metrics queries --output monitoring/postgres_exporter/queries.yaml`")


def test_a_changed_view_makes_the_file_drift(fresh_db, tmp_path):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("COMMENT ON COLUMN shq.vw_metrics_overrides.active IS 'GAUGE: something else'")
        diff = metrics.check_queries(c)
        assert any("something else" in line for line in diff), diff
        c.execute("COMMENT ON COLUMN shq.vw_metrics_overrides.active IS 'a comment without usage'")
        with pytest.raises(PyctlError, match="vw_metrics_overrides.active has no metric usage"):
            metrics.families(c)


def test_a_new_family_view_is_one_file(fresh_db):
    """A view named shq.vw_metrics_<family> with commented columns is a family: nothing else to edit."""
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE VIEW shq.vw_metrics_example AS SELECT 'email'::text AS channel, 3::bigint AS pending")
        c.execute("COMMENT ON VIEW shq.vw_metrics_example IS 'Example backlog'")
        c.execute("COMMENT ON COLUMN shq.vw_metrics_example.channel IS 'LABEL: channel'")
        c.execute("COMMENT ON COLUMN shq.vw_metrics_example.pending IS 'GAUGE: messages waiting'")
        fams = {f.name: f for f in metrics.families(c)}
        assert fams["outreach_example"].query() == "SELECT channel, pending FROM shq.vw_metrics_example"
        assert "outreach_example:\n  query: \"SELECT channel, pending FROM shq.vw_metrics_example\"" in \
            metrics.queries_yaml(list(fams.values()))
        assert ("outreach_example_pending", {"channel": "email"}, 3.0) in metrics.scrape(c)


# ------------------------------------------------------------------ pyctl metrics
def test_pyctl_metrics_commands(known, dsn, run_pyctl, tmp_path):
    p = run_pyctl(["metrics", "show", "--timing", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert 'outreach_gate_attempts{time_window="5m",verdict="CLEARED"} 2' in p.stdout
    assert "all families:" in p.stderr
    p = run_pyctl(["metrics", "refresh", "--dsn", dsn])
    assert p.returncode == 0 and "tier: refreshed in" in p.stdout, output(p)
    p = run_pyctl(["metrics", "queries", "--check", str(metrics.QUERIES_FILE), "--dsn", dsn])
    assert p.returncode == 0, output(p)
    stale = tmp_path / "queries.yaml"
    shutil.copy(metrics.QUERIES_FILE, stale)
    stale.write_text(stale.read_text().replace("GAUGE", "COUNTER", 1))
    p = run_pyctl(["metrics", "queries", "--check", str(stale), "--dsn", dsn])
    assert p.returncode == 1
    assert p.stderr.startswith("pyctl: ") and "Traceback" not in output(p)
    fresh = tmp_path / "out" / "q.yaml"
    p = run_pyctl(["metrics", "queries", "--output", str(fresh), "--dsn", dsn])
    assert p.returncode == 0 and fresh.read_text() == metrics.QUERIES_FILE.read_text(), output(p)
