"""Foundation (identity) with real commits and several connections: the Golden
Rule under concurrent callers, and the identity rules seen through the roles
of the role policy."""
from __future__ import annotations


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
