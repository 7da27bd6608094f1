"""Foundation (identity) with real commits and several connections: the Golden
Rule under concurrent callers, and the identity rules seen through the roles
of the role policy."""
from __future__ import annotations


import threading
import time

import psycopg
import pytest

from helpers import race, register_company


def test_sixteen_connections_minting_one_company_get_one_outreach_id(conn, new_conn):
    cid = register_company(conn, prefix="FND")
    results, errors = race(new_conn, 16, lambda c: c.execute(
        "SELECT outreach.fn_mint_outreach_id(%s)", (cid,)).fetchone()[0])
    assert errors == []
    assert len(set(results)) == 1 and results[0] is not None
    assert conn.execute("SELECT count(*) FROM outreach.outreach WHERE company_unique_id = %s", (cid,)).fetchone()[0] == 1
    assert conn.execute("SELECT outreach_id FROM cl.company_identity WHERE company_unique_id = %s",
                        (cid,)).fetchone()[0] == results[0]


def test_concurrent_minting_of_many_companies_stays_aligned(conn, new_conn):
    cids = [register_company(conn, prefix="FND") for _ in range(40)]

    def mint_all(c):
        return [c.execute("SELECT outreach.fn_mint_outreach_id(%s)", (cid,)).fetchone()[0] for cid in cids]

    results, errors = race(new_conn, 8, mint_all)
    assert errors == []
    assert all(r == results[0] for r in results), "every caller saw the same id for each company"
    row = conn.execute("SELECT is_aligned, spine_without_cl, cl_without_spine FROM shq.fn_check_spine_alignment()").fetchone()
    assert row == (True, 0, 0)


def test_a_failed_mint_leaves_nothing_behind(conn):
    before = conn.execute("SELECT (SELECT count(*) FROM outreach.outreach), (SELECT count(*) FROM cl.company_identity)").fetchone()
    for bad, code in ((None, "OG001"), ("", "OG001"), ("\t \n", "OG001"), ("FND-NEVER-REGISTERED", "OG002")):
        with pytest.raises(psycopg.Error) as ei:
            conn.execute("SELECT outreach.fn_mint_outreach_id(%s)", (bad,))
        assert ei.value.sqlstate == code, (bad, ei.value)
    after = conn.execute("SELECT (SELECT count(*) FROM outreach.outreach), (SELECT count(*) FROM cl.company_identity)").fetchone()
    assert after == before


def test_roles_reach_identity_only_through_their_functions(conn, login_role):
    cid = register_company(conn, prefix="FND")
    _, writer = login_role("outreach_hub_writer")
    oid = writer.execute("SELECT outreach.fn_mint_outreach_id(%s)", (cid,)).fetchone()[0]
    assert oid is not None
    # the hub writer cannot register companies, nor touch CL directly
    for stmt, params in (("SELECT cl.fn_register_company('FND-BY-WRITER', 'x', 'x.example')", ()),
                         ("UPDATE cl.company_identity SET outreach_id = NULL WHERE company_unique_id = %s", (cid,)),
                         ("INSERT INTO outreach.outreach (company_unique_id) VALUES (%s)", (cid,))):
        with pytest.raises(psycopg.Error) as ei:
            writer.execute(stmt, params)
        assert ei.value.sqlstate == "42501", stmt
    _, cl_role = login_role("outreach_cl_authority")
    assert cl_role.execute("SELECT cl.fn_register_company('FND-BY-CL', 'CL co', 'cl.example')").fetchone()[0] == "FND-BY-CL"
    with pytest.raises(psycopg.Error) as ei:
        cl_role.execute("SELECT outreach.fn_mint_outreach_id('FND-BY-CL')")
    assert ei.value.sqlstate == "42501"
    _, reader = login_role("outreach_reader")
    with pytest.raises(psycopg.Error) as ei:
        reader.execute("SELECT * FROM cl.company_identity")
    assert ei.value.sqlstate == "42501"
    assert conn.execute("SELECT outreach_id FROM cl.company_identity WHERE company_unique_id = %s", (cid,)).fetchone()[0] == oid


def test_write_once_holds_across_committed_transactions(conn, new_conn):
    cid = register_company(conn, prefix="FND")
    oid = conn.execute("SELECT outreach.fn_mint_outreach_id(%s)", (cid,)).fetchone()[0]
    other = new_conn(autocommit=False)
    with pytest.raises(psycopg.Error) as ei:
        other.execute("UPDATE cl.company_identity SET outreach_id = gen_random_uuid() WHERE company_unique_id = %s", (cid,))
    assert ei.value.sqlstate == "OG003"
    other.rollback()
    with pytest.raises(psycopg.Error) as ei:
        other.execute("INSERT INTO cl.company_identity (company_unique_id) VALUES (%s)"
                      " ON CONFLICT (company_unique_id) DO UPDATE SET outreach_id = NULL", (cid,))
    assert ei.value.sqlstate == "OG003"
    other.rollback()
    assert conn.execute("SELECT outreach_id FROM cl.company_identity WHERE company_unique_id = %s", (cid,)).fetchone()[0] == oid


def test_a_session_that_minted_on_a_small_spine_still_reads_one_company_once_it_grew(fresh_db):
    """A session plans the mint's reads on its first mint and keeps those plans:
    planned while the spine was small, they must still be key lookups, not a
    read of the whole spine on every later mint of that session."""
    dsn = fresh_db()
    early = psycopg.connect(dsn, autocommit=True)
    bulk = psycopg.connect(dsn, autocommit=True)
    try:
        assert early.execute("SELECT count(*) FROM outreach.outreach").fetchone()[0] == 0
        bulk.execute("SELECT count(cl.fn_register_company('GROW-' || i, 'Company ' || i, 'grow-' || i || '.example'))"
                     " FROM generate_series(1, 3001) AS i")
        # statistics that say the spine is empty (not merely never counted): what a planner sees in a new database
        bulk.execute("VACUUM ANALYZE outreach.outreach")
        early.execute("SELECT outreach.fn_mint_outreach_id('GROW-1')")
        # the spine grows in another session: no invalidation reaches the early session's plans
        bulk.execute("SELECT count(outreach.fn_mint_outreach_id('GROW-' || i)) FROM generate_series(2, 3000) AS i")
        assert bulk.execute("SELECT pg_relation_size('outreach.outreach') / current_setting('block_size')::int").fetchone()[0] > 10
        plans: list[str] = []
        early.add_notice_handler(lambda d: plans.append(d.message_primary or ""))
        early.execute("LOAD 'auto_explain'")
        for setting, value in (("log_min_duration", "0"), ("log_nested_statements", "on"), ("log_level", "notice")):
            early.execute("SELECT set_config(%s, %s, false)", (f"auto_explain.{setting}", value))
        oid = early.execute("SELECT outreach.fn_mint_outreach_id('GROW-3001')").fetchone()[0]
        early.execute("RESET ALL")
    finally:
        early.close()
        bulk.close()
    assert oid is not None
    spine_reads = [p for p in plans if " on outreach " in p]
    assert spine_reads, plans
    assert not [p for p in spine_reads if "Seq Scan on outreach " in p], spine_reads


def test_a_registration_whose_known_row_is_deleted_meanwhile_inserts_it_again(fresh_db):
    """cl.fn_register_company's third branch: its INSERT met the company's
    row (DO NOTHING), CL deleted that row and committed before the UPDATE,
    so the UPDATE and the look that follow find nothing and the loop inserts
    the registration again: it is not lost. (CL can delete only a company no
    spine row binds.) Its Company Target then mints it, and the maintained
    eligibility row made with the spine row holds the new registration."""
    dsn = fresh_db()
    setup = psycopg.connect(dsn, autocommit=True)
    registrar = psycopg.connect(dsn, autocommit=True)
    deleter = psycopg.connect(dsn, autocommit=False)
    cid = "REINS-0001"
    try:
        setup.execute("SELECT cl.fn_register_company(%s, 'Old name', 'old.example')", (cid,))
        # a pause after each INSERT statement on CL, for as long as the deleter holds its lock
        # (this test's database only; ordinary triggers, as a migration's DDL would add them)
        with setup.transaction():
            setup.execute("SELECT set_config('shq.migrating', 'on', true)")
            setup.execute("CREATE FUNCTION public.pause_after_cl_insert() RETURNS trigger LANGUAGE plpgsql"
                          " SET search_path = pg_catalog, pg_temp"
                          " AS $$ BEGIN PERFORM pg_advisory_xact_lock(4711); RETURN NULL; END $$")
            setup.execute("CREATE TRIGGER pause_after_cl_insert AFTER INSERT ON cl.company_identity"
                          " FOR EACH STATEMENT EXECUTE FUNCTION public.pause_after_cl_insert()")
        history_before = setup.execute("SELECT count(*) FROM cl.company_identity_history WHERE company_unique_id = %s",
                                       (cid,)).fetchone()[0]

        deleter.execute("SELECT pg_advisory_xact_lock(4711)")
        pid = registrar.info.backend_pid
        outcome: dict = {}

        def register():
            try:
                outcome["id"] = registrar.execute(
                    "SELECT cl.fn_register_company(%s, 'New name', 'new.example', 'INELIGIBLE')", (cid,)).fetchone()[0]
            except psycopg.Error as e:  # pragma: no cover - reported by the assertion below
                outcome["error"] = e

        thread = threading.Thread(target=register)
        thread.start()
        # the registration's INSERT met the row and did nothing; it now waits after that statement
        for _ in range(600):
            if setup.execute("SELECT wait_event = 'advisory' FROM pg_stat_activity WHERE pid = %s",
                             (pid,)).fetchone()[0]:
                break
            time.sleep(0.01)
        else:
            pytest.fail("the registration never reached the pause after its INSERT")
        assert setup.execute("SELECT company_name FROM cl.company_identity WHERE company_unique_id = %s",
                             (cid,)).fetchone()[0] == "Old name", "the INSERT met the known row"
        deleter.execute("DELETE FROM cl.company_identity WHERE company_unique_id = %s", (cid,))
        deleter.commit()
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert "error" not in outcome, outcome
        assert outcome["id"] == cid

        # the registration is there once, as registered now, bound to no outreach_id yet
        assert setup.execute(
            "SELECT company_name, domain, eligibility_status, identity_status, outreach_id"
            "  FROM cl.company_identity WHERE company_unique_id = %s", (cid,)).fetchall() == [
            ("New name", "new.example", "INELIGIBLE", "VERIFIED", None)]
        # one history row more: the INSERT of the loop's second round (the first inserted nothing)
        assert setup.execute("SELECT operation, eligibility_status, outreach_id FROM cl.company_identity_history"
                             " WHERE company_unique_id = %s ORDER BY history_id OFFSET %s",
                             (cid, history_before)).fetchall() == [("INSERT", "INELIGIBLE", None)]
        # a company outside the spine has no maintained row; its next mint makes one, with the new CL row's values
        assert setup.execute("SELECT count(*) FROM outreach.company_eligibility WHERE company_unique_id = %s",
                             (cid,)).fetchone()[0] == 0
        setup.execute("SELECT outreach.fn_create_company_target(%s)", (cid,))
        oid = setup.execute("SELECT outreach_id FROM cl.company_identity WHERE company_unique_id = %s",
                            (cid,)).fetchone()[0]
        assert oid is not None
        assert setup.execute("SELECT outreach_id, eligibility_status, outreach_status, computed_tier"
                             "  FROM outreach.company_eligibility WHERE company_unique_id = %s",
                             (cid,)).fetchall() == [(oid, "INELIGIBLE", "queued", -1)]
        assert setup.execute("SELECT count(*) FROM outreach.fn_company_eligibility_drift()").fetchone()[0] == 0
        assert setup.execute("SELECT is_aligned FROM shq.fn_check_spine_alignment()").fetchone()[0] is True
    finally:
        deleter.close()
        registrar.close()
        setup.close()
