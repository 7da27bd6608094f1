"""Hubs (targets and hub status) with real commits and several connections: concurrent
target creation, status writers serialised per company, override expiry
without a job, the refusals seen from login roles, and the bench's measurements."""
from __future__ import annotations

import time
import uuid

import psycopg
import pytest

from helpers import in_thread, make_company, race, register_company, waits_on_lock

REQUIRED = ["company-target", "dol-filings", "people-intelligence", "talent-flow"]


def _target(conn, cid):
    return conn.execute("SELECT outreach.fn_create_company_target(%s)", (cid,)).fetchone()[0]


def _status(conn, cid, hub):
    r = conn.execute("SELECT status FROM outreach.company_hub_status WHERE company_unique_id = %s AND hub_id = %s",
                     (cid, hub)).fetchone()
    return r and r[0]


# ------------------------------------------------------------------ targets
def test_twelve_connections_creating_one_target_get_one_target(conn, new_conn):
    cid = register_company(conn, prefix="HUBC")
    results, errors = race(new_conn, 12, lambda c: _target(c, cid))
    assert errors == []
    assert len(set(results)) == 1 and results[0].startswith(f"TGT-{cid[:8]}-")
    assert conn.execute("SELECT count(*) FROM outreach.company_target WHERE company_unique_id = %s", (cid,)).fetchone()[0] == 1
    rows = conn.execute("SELECT hub_id, status FROM outreach.company_hub_status WHERE company_unique_id = %s ORDER BY 1",
                        (cid,)).fetchall()
    assert rows == [(h, "IN_PROGRESS") for h in sorted(REQUIRED)]


def test_companies_sharing_a_prefix_created_concurrently_get_distinct_targets(conn, new_conn):
    stem = f"SAME{uuid.uuid4().hex[:4].upper()}"          # 8 characters shared by all
    cids = [f"{stem}-{k:02d}" for k in range(10)]
    for cid in cids:
        conn.execute("SELECT cl.fn_register_company(%s, 'x', 'x.test')", (cid,))
    results, errors = race(new_conn, 10, lambda c: [_target(c, cid) for cid in cids])
    assert errors == []
    per_company = {cid: {r[i] for r in results} for i, cid in enumerate(cids)}
    assert all(len(v) == 1 for v in per_company.values()), "every caller saw the same target of each company"
    tids = [next(iter(v)) for v in per_company.values()]
    assert len(set(tids)) == 10 and all(t.startswith(f"TGT-{stem}-") for t in tids)


def test_bad_input_commits_nothing(conn):
    before = conn.execute("SELECT (SELECT count(*) FROM outreach.company_target),"
                          " (SELECT count(*) FROM outreach.company_hub_status)").fetchone()
    for bad, code in ((None, "OG001"), ("   ", "OG001"), ("HUBC-NOT-IN-CL", "OG002")):
        with pytest.raises(psycopg.Error) as ei:
            conn.execute("SELECT outreach.fn_create_company_target(%s)", (bad,))
        assert ei.value.sqlstate == code
    assert conn.execute("SELECT (SELECT count(*) FROM outreach.company_target),"
                        " (SELECT count(*) FROM outreach.company_hub_status)").fetchone() == before


# ------------------------------------------------------------------ hub status
def test_status_writers_of_one_company_are_serialised(conn, new_conn):
    """A promotion that waits for a concurrent demotion of its prerequisite sees
    it, and is refused (OG007), instead of passing on a stale read."""
    cid = make_company(conn, 1, prefix="HUBC", set_statuses=False)
    conn.execute("SELECT outreach.fn_set_hub_status(%s, 'company-target', 'PASS', 'ok')", (cid,))

    demoter = new_conn(autocommit=False)
    demoter.execute("SELECT outreach.fn_set_hub_status(%s, 'company-target', 'FAIL', 'bounced')", (cid,))
    promoter = new_conn()
    t, out = in_thread(lambda: promoter.execute(
        "SELECT outreach.fn_set_hub_status(%s, 'dol-filings', 'PASS', 'race')", (cid,)))
    assert waits_on_lock(conn, promoter.info.backend_pid), "the promotion waits for the open demotion of the same company"
    demoter.commit()
    t.join(30)
    assert getattr(out.get("error"), "sqlstate", None) == "OG007", out
    assert _status(conn, cid, "dol-filings") == "IN_PROGRESS"
    assert _status(conn, cid, "company-target") == "FAIL"


def test_evaluate_and_set_hub_status_from_many_connections(conn, new_conn):
    cids = [make_company(conn, 1, prefix="HUBC", set_statuses=False) for _ in range(20)]
    results, errors = race(new_conn, 6, lambda c: c.execute(
        "SELECT outreach.fn_evaluate_hub_statuses(s.outreach_id) FROM (SELECT outreach_id FROM outreach.outreach"
        " WHERE company_unique_id = ANY(%s) ORDER BY company_unique_id OFFSET 0) s", (cids,)).fetchall())
    assert errors == []
    assert sum(n for r in results for (n,) in r) == 20 * 4, "each promotion happened exactly once"
    assert conn.execute("SELECT count(*) FROM outreach.company_hub_status WHERE company_unique_id = ANY(%s)"
                        " AND status = 'PASS'", (cids,)).fetchone()[0] == 80


def _loaded_companies(conn, stem: str, n: int) -> list[str]:
    """`n` companies written as a bulk load writes them (pyctl seed, a
    superuser in replica mode): CL, spine and a finished Company Target each,
    and no hub status at all yet."""
    cids = [f"{stem}-{k:03d}" for k in range(n)]
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for k, cid in enumerate(cids):
            oid = uuid.uuid4()
            conn.execute("INSERT INTO cl.company_identity (company_unique_id, company_name, domain, eligibility_status,"
                         " identity_status, lifecycle_state, outreach_id, outreach_id_bound_at)"
                         " VALUES (%s, 'Loaded', %s, 'ELIGIBLE', 'VERIFIED', 'prospect', %s, now())",
                         (cid, f"{cid.lower()}.test", oid))
            conn.execute("INSERT INTO outreach.outreach (outreach_id, company_unique_id) VALUES (%s, %s)", (oid, cid))
            conn.execute("INSERT INTO outreach.company_target (target_id, outreach_id, company_unique_id,"
                         " execution_status, email_method, email_pattern, confidence_score, imo_completed_at)"
                         " VALUES (%s, %s, %s, 'ready', 'pattern', '{first}.{last}', 0.9, now())",
                         (f"TGT-{stem}-{k}", oid, cid))
    return cids


def test_a_first_status_written_during_a_fresh_range_evaluation_is_upserted(conn, new_conn):
    """A range without any hub status yet (a bulk load) is evaluated as a plain
    insert; a concurrent first status of one of its companies makes that insert
    fail and roll back, and the evaluation writes the range as an upsert
    instead: no error, and the same rows as one after the other."""
    stem = f"FRSH{uuid.uuid4().hex[:4].upper()}"
    cids = _loaded_companies(conn, stem, 5)
    writer = new_conn(autocommit=False)
    writer.execute("SELECT outreach.fn_set_hub_status(%s, 'company-target', 'IN_PROGRESS', 'being checked')",
                   (cids[2],))
    evaluator = new_conn()
    t, out = in_thread(lambda: evaluator.execute("SELECT outreach.fn_evaluate_hub_statuses_range(%s, %s)",
                                                 (stem, stem + "~")).fetchone()[0])
    assert waits_on_lock(conn, evaluator.info.backend_pid), "the insert waits for the open first status"
    writer.commit()
    t.join(30)
    assert out == {"result": len(cids)}, out
    assert conn.execute("SELECT array_agg(company_unique_id ORDER BY company_unique_id) FROM outreach.company_hub_status"
                        " WHERE starts_with(company_unique_id, %s) AND hub_id = 'company-target' AND status = 'PASS'",
                        (stem,)).fetchone()[0] == cids


def test_direct_write_to_company_hub_status_is_refused_even_for_the_superuser(conn):
    cid = make_company(conn, 0, prefix="HUBC")
    for stmt in ("UPDATE outreach.company_hub_status SET status = 'PASS' WHERE company_unique_id = %s",
                 "DELETE FROM outreach.company_hub_status WHERE company_unique_id = %s"):
        with pytest.raises(psycopg.Error) as ei:
            conn.execute(stmt, (cid,))
        assert ei.value.sqlstate == "OG005"
    with pytest.raises(psycopg.Error) as ei:
        conn.execute("INSERT INTO outreach.company_hub_status (company_unique_id, hub_id, status)"
                     " VALUES (%s, 'bit-engine', 'PASS')", (cid,))
    assert ei.value.sqlstate == "OG005"
    assert conn.execute("SELECT count(*) FROM outreach.company_hub_status WHERE company_unique_id = %s AND status = 'PASS'",
                        (cid,)).fetchone()[0] == 0


def test_roles_through_login_connections(conn, login_role):
    cid = register_company(conn, prefix="HUBC")
    _name, writer = login_role("outreach_hub_writer")
    tid = writer.execute("SELECT outreach.fn_create_company_target(%s)", (cid,)).fetchone()[0]
    assert tid.startswith("TGT-")
    with pytest.raises(psycopg.Error) as ei:
        writer.execute("SELECT outreach.fn_set_hub_status(%s, 'company-target', 'PASS')", (cid,))
    assert ei.value.sqlstate == "OG007"
    _name, reader = login_role("outreach_reader")
    assert reader.execute("SELECT computed_tier, effective_tier FROM outreach.vw_marketing_eligibility_with_overrides"
                          " WHERE company_unique_id = %s", (cid,)).fetchone() == (0, 0)
    with pytest.raises(psycopg.Error) as ei:
        reader.execute("SELECT outreach.fn_set_hub_status(%s, 'company-target', 'FAIL')", (cid,))
    assert ei.value.sqlstate == "42501"
    _name, gov = login_role("outreach_governor")
    oid = conn.execute("SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = %s", (cid,)).fetchone()[0]
    assert gov.execute("SELECT shq.fn_is_tier1_marketing_ready(%s), shq.fn_can_promote_to_hub(%s, 'company-target')",
                       (oid, oid)).fetchone() == (False, False)
    assert len(gov.execute("SELECT * FROM shq.fn_get_promotion_blockers(%s)", (oid,)).fetchall()) >= 1
    with pytest.raises(psycopg.Error) as ei:
        gov.execute("SELECT outreach.fn_evaluate_hub_statuses()")
    assert ei.value.sqlstate == "42501"


def test_a_force_tier_override_expires_without_a_job(conn):
    cid = make_company(conn, 1, prefix="HUBC", set_statuses=False)
    conn.execute("SELECT outreach.fn_evaluate_hub_statuses()")
    view = ("SELECT computed_tier, effective_tier, has_active_override FROM outreach.vw_marketing_eligibility_with_overrides"
            " WHERE company_unique_id = %s")
    assert conn.execute(view, (cid,)).fetchone() == (1, 1, False)
    conn.execute("SELECT outreach.set_marketing_override(%s, 'FORCE_TIER', 'test', 'tester', 0,"
                 " clock_timestamp() + interval '2 seconds')", (cid,))
    assert conn.execute(view, (cid,)).fetchone() == (1, 0, True)
    time.sleep(2.5)
    assert conn.execute(view, (cid,)).fetchone() == (1, 1, False)


# ------------------------------------------------------------------ bench code
def test_bench_measurements_on_seeded_data(fresh_db):
    from pyctl.bench import hubs
    from pyctl.seed import DEFAULT_SEED, company_id, seed

    dsn = fresh_db()
    seed(dsn, 3000, DEFAULT_SEED)
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("ANALYZE")
        rows = c.execute("SELECT effective_tier, count(*) FROM outreach.vw_marketing_eligibility_with_overrides"
                         " GROUP BY 1").fetchall()
        assert sum(n for _t, n in rows) == 3000
        assert {t for t, _n in rows} == {-1, 0, 1, 2, 3}, "the seeded data covers every tier"
        assert hubs.execution_ms(c, hubs.FLOOR_SQL) > 0
        assert hubs.execution_ms(c, hubs.FIGURE_SQL) > 0
        plan = hubs.plan_text(c, hubs.LOOKUP_SQL, (company_id(DEFAULT_SEED, 1500),))
        assert "Seq Scan on company_hub_status" not in plan
