"""Cascade deletion and orphan archiving under real commits and several
connections (docs/reference/operations.md): the cascade and the Golden Rule serialise on the CL
row, two cascades of one id, a failing step rolls every step back, and
fn_archive_orphans as the governor."""
from __future__ import annotations

import uuid

import psycopg
import pytest

from helpers import in_thread, waits_on_lock

CASCADE_TABLES = ["outreach.send_log", "outreach.sequences", "outreach.campaigns", "outreach.manual_overrides",
                  "outreach.bit_signals", "outreach.bit_scores", "outreach.blog", "people.people_master",
                  "people.company_slot", "outreach.people", "outreach.dol", "outreach.company_target",
                  "outreach.outreach"]


def orphan(conn) -> tuple[str, uuid.UUID]:
    """A registered company with a spine row, target and sub-hub rows that CL does not bind."""
    cid = f"OPS-{uuid.uuid4().hex[:10].upper()}"
    conn.execute("SELECT cl.fn_register_company(%s, %s, %s)", (cid, f"Company {cid}", f"{cid.lower()}.example.com"))
    oid = conn.execute("INSERT INTO outreach.outreach (company_unique_id) VALUES (%s) RETURNING outreach_id", (cid,)).fetchone()[0]
    tid = f"TGT-{cid[:8]}-" + str(conn.execute("SELECT nextval('outreach.company_target_seq')").fetchone()[0])
    conn.execute("INSERT INTO outreach.company_target (target_id, outreach_id, company_unique_id) VALUES (%s, %s, %s)",
                 (tid, oid, cid))
    conn.execute("INSERT INTO outreach.dol (target_id, outreach_id, company_unique_id, ein) VALUES (%s, %s, %s, '1')",
                 (tid, oid, cid))
    conn.execute("INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type) VALUES (%s, %s, %s, 'CEO')",
                 (tid, oid, cid))
    conn.execute("INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)"
                 " VALUES (%s, %s, 'DOMAIN_VERIFIED', 10, now())", (oid, cid))
    return cid, oid


def counts(conn) -> dict[str, int]:
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in CASCADE_TABLES}


def cascade(conn, oid, reason="ops test", actor="pytest"):
    return conn.execute("SELECT step, table_name, deleted FROM outreach.fn_delete_outreach_cascade(%s, %s, %s)",
                        (oid, reason, actor)).fetchall()


def test_cascade_counts_per_table_before_and_after(conn):
    cid, oid = orphan(conn)
    other_cid, other_oid = orphan(conn)
    before = counts(conn)
    rows = cascade(conn, oid)
    after = counts(conn)
    assert [r[1] for r in rows] == CASCADE_TABLES
    assert [r[0] for r in rows] == list(range(1, 14))
    for step, table, deleted in rows:
        assert before[table] - after[table] == deleted, table
    assert {t: d for _s, t, d in rows if d} == {"outreach.bit_signals": 1, "outreach.bit_scores": 1,
                                                "people.company_slot": 1, "outreach.dol": 1,
                                                "outreach.company_target": 1, "outreach.outreach": 1}
    assert conn.execute("SELECT count(*) FROM outreach.outreach WHERE outreach_id = %s", (other_oid,)).fetchone()[0] == 1


def test_a_failing_step_rolls_every_step_back(conn):
    cid, oid = orphan(conn)
    conn.execute("CREATE TABLE public.ops_extra_ref (target_id text REFERENCES outreach.company_target (target_id))")
    try:
        conn.execute("INSERT INTO public.ops_extra_ref SELECT target_id FROM outreach.company_target WHERE outreach_id = %s",
                     (oid,))
        before = counts(conn)
        audits = conn.execute("SELECT count(*) FROM shq.audit_log").fetchone()[0]
        with pytest.raises(psycopg.errors.ForeignKeyViolation):
            cascade(conn, oid)
        assert counts(conn) == before, "nothing of steps 1..11 survives a failure at step 12"
        assert conn.execute("SELECT count(*) FROM shq.audit_log").fetchone()[0] == audits
        assert conn.execute("SELECT count(*) FROM outreach.outreach_archive WHERE outreach_id = %s", (oid,)).fetchone()[0] == 0
    finally:
        conn.execute("DROP TABLE public.ops_extra_ref")
    assert len(cascade(conn, oid)) == 13


def test_a_mint_waiting_for_the_cascade_mints_a_new_record(conn, new_conn):
    cid, oid = orphan(conn)
    a = new_conn(autocommit=False)
    b = new_conn()
    cascade(a, oid)  # holds the CL row and the spine row, not committed
    t, box = in_thread(lambda: b.execute("SELECT outreach.fn_mint_outreach_id(%s)", (cid,)).fetchone()[0])
    assert waits_on_lock(conn, b.info.backend_pid), "the mint waits for the cascade's CL row lock"
    a.commit()
    t.join(10)
    assert "error" not in box, box.get("error")
    new_oid = box["result"]
    assert new_oid != oid
    assert conn.execute("SELECT outreach_id FROM cl.company_identity WHERE company_unique_id = %s", (cid,)).fetchone()[0] == new_oid
    assert conn.execute("SELECT count(*) FROM outreach.outreach_archive WHERE outreach_id = %s", (oid,)).fetchone()[0] == 1
    assert conn.execute("SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = %s", (cid,)).fetchone()[0] == new_oid


def test_a_cascade_waiting_for_a_mint_that_binds_the_id_is_refused(conn, new_conn):
    cid, oid = orphan(conn)
    a = new_conn(autocommit=False)
    b = new_conn()
    assert a.execute("SELECT outreach.fn_mint_outreach_id(%s)", (cid,)).fetchone()[0] == oid  # binds, not committed
    before = counts(conn)
    t, box = in_thread(lambda: cascade(b, oid))
    assert waits_on_lock(conn, b.info.backend_pid), "the cascade waits for the mint's CL row lock"
    a.commit()
    t.join(10)
    assert isinstance(box.get("error"), psycopg.Error) and box["error"].sqlstate == "OG009", box
    assert counts(conn) == before


def test_two_cascades_of_one_id(conn, new_conn):
    cid, oid = orphan(conn)
    a = new_conn(autocommit=False)
    b = new_conn()
    cascade(a, oid)
    t, box = in_thread(lambda: cascade(b, oid))
    assert waits_on_lock(conn, b.info.backend_pid)
    a.commit()
    t.join(10)
    assert isinstance(box.get("error"), psycopg.Error) and box["error"].sqlstate == "P0002", box
    assert conn.execute("SELECT count(*) FROM outreach.outreach_archive WHERE outreach_id = %s", (oid,)).fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM shq.audit_log WHERE correlation_id = %s", (str(oid),)).fetchone()[0] == 1


def test_archive_orphans_as_the_governor(conn, login_role):
    conn.execute("SELECT outreach.fn_archive_orphans('pytest: clear earlier orphans')")
    made = [orphan(conn) for _ in range(3)]
    bound_cid = f"OPS-{uuid.uuid4().hex[:10].upper()}"
    conn.execute("SELECT cl.fn_register_company(%s, 'bound', 'bound.example.com')", (bound_cid,))
    bound = conn.execute("SELECT outreach.fn_mint_outreach_id(%s)", (bound_cid,)).fetchone()[0]
    _name, gov = login_role("outreach_governor")
    assert gov.execute("SELECT outreach.fn_archive_orphans('ops:nightly')").fetchone()[0] == 3
    archived = {r[0] for r in conn.execute("SELECT outreach_id FROM outreach.outreach_orphan_archive"
                                           " WHERE archived_by = 'ops:nightly'").fetchall()}
    assert archived == {oid for _c, oid in made}
    assert conn.execute("SELECT count(*) FROM outreach.outreach WHERE outreach_id = %s", (bound,)).fetchone()[0] == 1
    assert conn.execute("SELECT is_aligned FROM shq.fn_check_spine_alignment()").fetchone()[0] is True
    _name, reader = login_role("outreach_reader")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        reader.execute("SELECT outreach.fn_archive_orphans('x')")
