"""The data builder (pyctl.seed) beyond `pyctl seed` itself: it knows no
governance threshold (the database sets escalation levels), the benchmarks'
workloads build what they say through the sanctioned writers, and nothing
else in pyctl writes sovereign tables or borrows the sanctioned writers'
identity. The helper that builds a company at a tier is checked here too."""
from __future__ import annotations

import re

import pytest

from helpers import REPO_ROOT, make_company
from pyctl import seed as seed_mod

SEED = 7
COMPANIES = 400


@pytest.fixture(scope="module")
def seeded(dsn):
    seed_mod.seed(dsn, COMPANIES, SEED, batch_size=1000)
    return dsn


def levels(conn) -> dict:
    return {(t, i): lvl for (t,) in conn.execute("SELECT table_name FROM shq.governed_error_tables")
            for i, lvl in conn.execute(f"SELECT error_id, escalation_level FROM {t} WHERE disposition = 'PARKED'")}


def test_the_database_sets_the_escalation_levels_of_seeded_errors(seeded, conn):
    seeded_levels = levels(conn)
    assert len(set(seeded_levels.values())) >= 2, f"parked errors of several ages: {seeded_levels}"
    again = conn.execute("SELECT coalesce(sum(affected), 0) FROM shq.fn_escalate_stale_parked_errors()").fetchone()[0]
    assert again == 0, "the seed left nothing for the escalation job to raise"
    # from scratch, the job alone gives every parked error the level the seed left
    for (t,) in conn.execute("SELECT table_name FROM shq.governed_error_tables").fetchall():
        conn.execute(f"UPDATE {t} SET escalation_level = 0, escalated_at = NULL WHERE disposition = 'PARKED'")
    conn.execute("SELECT * FROM shq.fn_escalate_stale_parked_errors()")
    assert levels(conn) == seeded_levels


def test_bulk_mode_loads_the_failed_and_blocked_hubs_before_the_one_rebuild(seeded, conn):
    """A superuser's seed writes its few FAIL/BLOCKED hub statuses in bulk
    mode, like the evaluation's: those companies are at tier -1 by the
    authoritative view and no maintained row differs from a from-scratch
    computation (the one rebuild came after them); as docs/development.md
    says, they have no history row and announced no TIER_CHANGED."""
    bad = [r[0] for r in conn.execute(
        "SELECT company_unique_id FROM outreach.company_hub_status"
        " WHERE status IN ('FAIL', 'BLOCKED') AND starts_with(company_unique_id, %s)", (seed_mod.prefix(SEED),))]
    assert len(bad) == COMPANIES // 200, bad
    assert conn.execute("SELECT array_agg(DISTINCT computed_tier) FROM outreach.vw_marketing_eligibility_with_overrides"
                        " WHERE company_unique_id = ANY (%s)", (bad,)).fetchone()[0] == [-1]
    assert conn.execute("SELECT count(*) FROM outreach.fn_company_eligibility_drift()").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM outreach.company_hub_status_history WHERE company_unique_id = ANY (%s)",
                        (bad,)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM outreach.outbox_events WHERE event_type = 'TIER_CHANGED'"
                        " AND company_unique_id = ANY (%s) AND payload ->> 'cause' = 'hub_status'",
                        (bad,)).fetchone()[0] == 0


def test_two_ranges_write_the_same_failed_and_blocked_hubs_as_one(fresh_db, monkeypatch):
    """In two company ranges each range's session writes the FAIL/BLOCKED
    statuses of its own range and then rebuilds its eligibility rows: the
    companies are the ones a one-range run chooses, both ranges hold some,
    and no maintained row differs from a from-scratch computation."""
    import psycopg

    companies = 2000
    one = fresh_db()
    r_one = seed_mod.seed(one, companies, SEED, batch_size=1000)
    monkeypatch.setattr(seed_mod, "EVALUATE_MIN_RANGE", 500)
    two = fresh_db()
    r_two = seed_mod.seed(two, companies, SEED, batch_size=1000)
    failed_sql = ("SELECT company_unique_id, hub_id, status, status_reason FROM outreach.company_hub_status"
                  " WHERE status IN ('FAIL', 'BLOCKED') ORDER BY 1, 2")
    with psycopg.connect(one) as c1, psycopg.connect(two) as c2:
        failed = c1.execute(failed_sql).fetchall()
        assert c2.execute(failed_sql).fetchall() == failed
        cut = seed_mod.company_id(SEED, 1 + companies // 2)
        assert {row[0] < cut for row in failed} == {True, False}, "both ranges hold some"
        assert c2.execute("SELECT count(*) FROM outreach.fn_company_eligibility_drift()").fetchone()[0] == 0
        # (not the BIT score: it decays with the clock)
        rows = ("SELECT company_unique_id, eligibility_status, required_passed, optional_passed, required_failed,"
                " has_campaign_ready_person FROM outreach.company_eligibility ORDER BY 1")
        assert c2.execute(rows).fetchall() == c1.execute(rows).fetchall()
    assert len(failed) == companies // 200
    assert r_two.figures == r_one.figures


def test_the_first_refresh_into_empty_scores_scores_every_spine_company(fresh_db):
    """A bulk seed into an empty database: the one full refresh finds no
    score row at all and inserts one for every spine company, each equal to
    fn_compute_bit_score as of its as_of (a company without a signal at 0)."""
    import psycopg

    dsn = fresh_db()
    seed_mod.seed(dsn, 300, SEED, batch_size=1000)
    with psycopg.connect(dsn) as c:
        assert c.execute("SELECT (SELECT count(*) FROM outreach.bit_scores),"
                         " (SELECT count(*) FROM outreach.outreach)").fetchone() == (300, 300)
        assert c.execute("SELECT count(*) FILTER (WHERE signal_count = 0), count(*) FILTER (WHERE signal_count > 1)"
                         "  FROM outreach.bit_scores").fetchone() > (0, 0)
        assert c.execute("""
            SELECT count(*) FROM outreach.bit_scores b
             CROSS JOIN LATERAL outreach.fn_compute_bit_score(b.outreach_id, b.as_of) x
             WHERE (b.score, b.score_tier, b.signal_count, b.last_signal_at)
                   IS DISTINCT FROM (x.score, x.score_tier, x.signal_count, x.last_signal_at)""").fetchone()[0] == 0


def test_seeded_outreach_ids_are_time_ordered_in_company_order(seeded, conn):
    """Company i's outreach_id is the UUID version 7 minted at MINTED_FROM + i
    ms with the md5 of seed and i as its other bits: the same id on every run,
    and the run's ids sort in company order, as minted ones do."""
    rows = conn.execute("""
        SELECT o.company_unique_id, o.outreach_id,
               shq._uuid_v7(%(t)s::timestamptz + substr(o.company_unique_id, length(%(p)s) + 1)::int8
                                                  * interval '1 millisecond',
                            md5('pyctl-seed:' || %(seed)s || ':' || substr(o.company_unique_id, length(%(p)s) + 1)::int8)::uuid)
          FROM outreach.outreach o
         WHERE starts_with(o.company_unique_id, %(p)s)
         ORDER BY o.company_unique_id""",
                        {"t": seed_mod.MINTED_FROM, "p": seed_mod.prefix(SEED), "seed": SEED}).fetchall()
    assert len(rows) == COMPANIES
    assert all(oid == expected for _cid, oid, expected in rows), [r for r in rows if r[1] != r[2]][:3]
    assert all(str(oid)[14] == "7" for _cid, oid, _e in rows)
    assert [oid for _c, oid, _e in rows] == sorted(oid for _c, oid, _e in rows)


def test_unbound_companies(conn):
    assert seed_mod.unbound_companies(conn, 30, "UNB-") == 30
    assert conn.execute("SELECT count(*), count(outreach_id) FROM cl.company_identity"
                        " WHERE company_unique_id LIKE 'UNB-%'").fetchone() == (30, 0)


def test_bit_signals_go_to_seeded_companies_only(seeded, conn):
    before = conn.execute("SELECT count(*) FROM outreach.bit_signals").fetchone()[0]
    assert seed_mod.add_bit_signals(conn, SEED, COMPANIES, 1, 1200, tag="t") == 1200
    rows = conn.execute("SELECT count(*), count(DISTINCT company_unique_id), count(DISTINCT signal_type),"
                        " bool_and(starts_with(company_unique_id, %s)) FROM outreach.bit_signals"
                        " WHERE dedup_key LIKE 't%%'", (seed_mod.prefix(SEED),)).fetchone()
    assert rows[0] == 1200 and rows[1] > COMPANIES // 2 and rows[2] >= 6 and rows[3], rows
    assert conn.execute("SELECT count(*) FROM outreach.bit_signals").fetchone()[0] == before + 1200


def test_overrides_go_through_the_sanctioned_writers(seeded, conn):
    # in chunks that split the companies unevenly: the same overrides as one statement
    n = seed_mod.add_overrides(conn, SEED, COMPANIES, chunk=COMPANIES // 3 + 1)
    assert n == COMPANIES // 100 + 3 * (COMPANIES // 200)
    by_type = dict(conn.execute(
        "SELECT override_type || ':' || (removed_at IS NULL AND (expires_at IS NULL OR expires_at > now())), count(*)"
        "  FROM outreach.manual_overrides WHERE created_by = %s GROUP BY 1", (seed_mod.BENCH_ACTOR,)).fetchall())
    assert by_type == {"FORCE_TIER:true": 4, "BLOCK_EMAIL:true": 2, "BLOCK_OUTREACH:false": 2,
                       "BLOCK_PHONE:false": 2}, by_type
    audited = conn.execute("SELECT count(*) FROM outreach.override_audit_log WHERE actor = %s",
                           (seed_mod.BENCH_ACTOR,)).fetchone()[0]
    assert audited >= n + 2, "every set and remove is audited"


def test_expired_errors_are_what_ttl_archiving_takes(fresh_db):
    import psycopg

    with psycopg.connect(fresh_db(), autocommit=True) as c:
        seed_mod.expired_errors(c, "people.people_errors", 300, 10)
        archived = dict(c.execute("SELECT * FROM shq.fn_archive_expired_errors()").fetchall())
        assert archived["people.people_errors"] == 300
        assert c.execute("SELECT count(*) FROM people.people_errors").fetchone()[0] == 30


def test_audit_rows(fresh_db):
    import psycopg

    with psycopg.connect(fresh_db(), autocommit=True) as c:
        seed_mod.audit_rows(c, 50)
        assert c.execute("SELECT (SELECT count(*) FROM shq.audit_log WHERE event_type LIKE 'BENCH%%'),"
                         " (SELECT count(*) FROM outreach.send_attempt_audit)").fetchone() == (50, 50)


def test_campaign_history_is_a_history_of_cleared_sends(seeded, conn):
    conn.execute("SELECT outreach.fn_create_campaign('HIST', 'h', 'EMAIL', %s::jsonb, 1, 'active')",
                 ('[{"template_id": "a", "delay_days": 0}, {"template_id": "b", "delay_days": 3},'
                  ' {"template_id": "c", "delay_days": 7}]',))
    sends = seed_mod.campaign_history(conn, SEED, "HIST")
    assert sends > 0
    assert conn.execute("SELECT count(*), count(*) FILTER (WHERE NOT a.was_blocked) FROM outreach.send_log s"
                        " JOIN outreach.send_attempt_audit a ON a.audit_id = s.gate_audit_id"
                        " WHERE s.campaign_id = 'HIST'").fetchone() == (sends, sends)
    assert conn.execute("SELECT to_regclass('pg_temp.seed_history')").fetchone()[0] is None


#: what only a sanctioned function may do: name its sovereign tables as
#: sanctioned, take on the owner's identity, write a sovereign table
SOVEREIGN_WRITE = re.compile(r"fn_sanction|SET (LOCAL )?ROLE\s+outreach_|(INSERT INTO|UPDATE|DELETE FROM)\s+outreach\."
                             r"(company_hub_status|bit_scores|manual_overrides|hub_registry)\b", re.I)


#: a line that must take on the owner's identity says why, after this marker
#: (a reason is mandatory)
ALLOWED = re.compile(r"#\s*owner-role:\s*\S")


def test_no_python_code_writes_a_sovereign_table_itself():
    offenders = [f"{p.relative_to(REPO_ROOT)}:{n}" for p in sorted((REPO_ROOT / "pyctl").rglob("*.py"))
                 for n, line in enumerate(p.read_text().splitlines(), 1)
                 if SOVEREIGN_WRITE.search(line) and not ALLOWED.search(line)]
    assert offenders == []


@pytest.mark.parametrize("tier", [-1, 0, 1, 2, 3])
def test_make_company_builds_the_tier_it_is_asked_for(conn, tier):
    cid = make_company(conn, tier)
    assert conn.execute("SELECT computed_tier, effective_tier FROM outreach.vw_marketing_eligibility_with_overrides"
                        " WHERE company_unique_id = %s", (cid,)).fetchone() == (tier, tier)


def test_make_company_can_leave_the_promotion_to_the_caller(conn):
    cid = make_company(conn, 1, set_statuses=False)
    view = "SELECT computed_tier FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = %s"
    assert conn.execute(view, (cid,)).fetchone()[0] == 0
    oid = conn.execute("SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = %s", (cid,)).fetchone()[0]
    conn.execute("SELECT outreach.fn_evaluate_hub_statuses(%s)", (oid,))
    assert conn.execute(view, (cid,)).fetchone()[0] == 1


INDEXES_SQL = """SELECT c.relname, pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class')
                   FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                  WHERE i.indrelid = %s::regclass ORDER BY 1"""


def test_indexes_built_after_a_load_come_back_as_they_were(conn):
    """The bulk path's indexes_built_after drops a table's indexes that back
    no constraint while the caller writes and creates them again from the
    catalogue's definition, comment included; the primary key stays; an error
    in the writes rolls the drop back with them; and it refuses to run
    outside a transaction, where a crash could leave the table without them."""
    table = "outreach.company_eligibility"  # a constraint's index and a commented one
    before = conn.execute(INDEXES_SQL, (table,)).fetchall()
    assert any(comment for _n, _d, comment in before), before
    with conn.transaction():
        with seed_mod.indexes_built_after(conn, [table]):
            during = [r[0] for r in conn.execute(INDEXES_SQL, (table,))]
            assert during == ["company_eligibility_pkey"], during
    assert conn.execute(INDEXES_SQL, (table,)).fetchall() == before

    with pytest.raises(ZeroDivisionError):
        with conn.transaction():
            with seed_mod.indexes_built_after(conn, [table]):
                1 / 0
    assert conn.execute(INDEXES_SQL, (table,)).fetchall() == before

    with pytest.raises(RuntimeError, match="open transaction"):
        with seed_mod.indexes_built_after(conn, [table]):
            pass
    assert conn.execute(INDEXES_SQL, (table,)).fetchall() == before
