"""The maintained eligibility row outreach.company_eligibility
(docs/maintained-eligibility.md):

* property: random sequences of every write path (hub status, bulk hub
  evaluation, override set and remove, CL registration and eligibility
  change, target status, slots and people, BIT signals and full refreshes,
  cascade deletion) leave every maintained row equal to the from-scratch
  computation, and the authoritative view gives the tier an independent
  model of the rule gives;
* concurrency: two writers changing different inputs of one company, with
  real concurrent commits, leave a correct row;
* the table refuses TRUNCATE, a direct write (even the owner's) and a role
  without the privilege; the drift check names a company whose row was
  changed behind the triggers' back, and the rebuild repairs it.
"""
from __future__ import annotations

import re
import uuid

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import in_thread, make_company, register_company, target_of, waits_on_lock

POOL = [("ELM-01", 0), ("ELM-02", 1), ("ELM-03", 2), ("ELM-04", 3), ("ELM-05", -1)]
HUBS = ["company-target", "dol-filings", "people-intelligence", "talent-flow", "blog-content", "bit-engine"]
SIGNALS = ["DOMAIN_VERIFIED", "SLOT_FILLED", "NEWS_MENTION", "ENGAGEMENT_REPLY"]
OVERRIDES = [("BLOCK_EMAIL", None), ("BLOCK_OUTREACH", None), ("FORCE_TIER", 1), ("FORCE_TIER", -1), ("BLOCK_PHONE", None)]
#: these types are set with an expiry (an hour ahead), the others without
EXPIRING = {"BLOCK_PHONE", "FORCE_TIER"}

DRIFT_SQL = "SELECT company_unique_id, maintained, from_scratch FROM outreach.fn_company_eligibility_drift()"

company = st.integers(0, len(POOL) - 1)
OPS = st.one_of(
    st.tuples(st.just("hub"), company, st.sampled_from(HUBS), st.sampled_from(["PASS", "IN_PROGRESS", "FAIL", "BLOCKED"])),
    st.tuples(st.just("evaluate")),
    st.tuples(st.just("override_set"), company, st.integers(0, len(OVERRIDES) - 1)),
    st.tuples(st.just("override_remove"), company, st.integers(0, len(OVERRIDES) - 1)),
    st.tuples(st.just("register"), st.sampled_from(["ELIGIBLE", "INELIGIBLE"])),
    st.tuples(st.just("cl_eligibility"), company, st.sampled_from(["ELIGIBLE", "INELIGIBLE"])),
    st.tuples(st.just("target_status"), company, st.sampled_from(["queued", "active", "paused", "opted_out"])),
    st.tuples(st.just("slot"), company, st.booleans()),
    st.tuples(st.just("slot_toggle"), company),
    st.tuples(st.just("person"), company, st.booleans()),
    st.tuples(st.just("person_toggle"), company),
    st.tuples(st.just("person_delete"), company),
    st.tuples(st.just("slots_bulk"), st.booleans()),
    st.tuples(st.just("signal"), company, st.sampled_from(SIGNALS)),
    st.tuples(st.just("refresh_all")),
    st.tuples(st.just("delete"), company),
)


def model_tier(row: dict, required_total: int, optional_total: int) -> tuple[int, str]:
    """The tier rule (docs/reference/hubs.md), written independently of the view."""
    if row["eligibility_status"] != "ELIGIBLE":
        return -1, "CL_INELIGIBLE"
    if row["required_failed"] > 0:
        return -1, "REQUIRED_HUB_FAILED"
    if row["required_passed"] < required_total:
        return 0, "IN_PROGRESS"
    if row["optional_passed"] < optional_total:
        return 1, "MARKETING_READY"
    if not row["has_campaign_ready_person"]:
        return 2, "ENRICHMENT_COMPLETE"
    return 3, "CAMPAIGN_READY"


def apply(conn: psycopg.Connection, op: tuple, state: dict) -> None:
    """One write through its production path (as the owner, a hub or CL would write it)."""
    kind = op[0]
    cid = POOL[op[1]][0] if len(op) > 1 and isinstance(op[1], int) else None
    ex = conn.execute
    if cid is not None and cid in state["deleted"]:
        return
    if kind == "hub":
        ex("SELECT outreach.fn_set_hub_status(%s, %s, %s, 'property test')", (cid, op[2], op[3]))
    elif kind == "evaluate":
        ex("SELECT outreach.fn_evaluate_hub_statuses()")
    elif kind == "override_set":
        otype, cap = OVERRIDES[op[2]]
        ex("SELECT outreach.set_marketing_override(%s, %s, 'property test', 'tester', %s,"
           " CASE WHEN %s THEN now() + interval '1 hour' END)", (cid, otype, cap, otype in EXPIRING and cap != -1))
    elif kind == "override_remove":
        ex("SELECT outreach.remove_marketing_override(%s, %s, 'property test', 'tester')", (cid, OVERRIDES[op[2]][0]))
    elif kind == "register":
        new = register_company(conn, prefix="ELMN", eligibility=op[1])
        ex("SELECT outreach.fn_create_company_target(%s)", (new,))
        state["registered"].append(new)
    elif kind == "cl_eligibility":
        ex("SELECT cl.fn_register_company(%s, %s, %s, %s)", (cid, f"Company {cid}", f"{cid.lower()}.example.com", op[2]))
    elif kind == "target_status":
        ex("SELECT outreach.fn_set_outreach_status(t.target_id, %s, 'property test')"
           "  FROM outreach.company_target t WHERE t.company_unique_id = %s", (op[2], cid))
    elif kind == "slot":
        ex("INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type, is_filled, filled_at)"
           " SELECT t.target_id, t.outreach_id, t.company_unique_id, 'CFO', %s, now()"
           "   FROM outreach.company_target t WHERE t.company_unique_id = %s", (op[2], cid))
    elif kind == "slot_toggle":
        ex("UPDATE people.company_slot SET is_filled = NOT is_filled WHERE company_unique_id = %s", (cid,))
    elif kind == "person":
        ex("INSERT INTO people.people_master (slot_id, target_id, outreach_id, company_unique_id, full_name, email,"
           " email_verified)"
           " SELECT s.slot_id, s.target_id, s.outreach_id, s.company_unique_id, 'Pat', 'pat@example.com', %s"
           "   FROM people.company_slot s WHERE s.company_unique_id = %s ORDER BY s.slot_id LIMIT 1", (op[2], cid))
    elif kind == "person_toggle":
        ex("UPDATE people.people_master SET email_verified = NOT email_verified WHERE company_unique_id = %s", (cid,))
    elif kind == "person_delete":
        ex("DELETE FROM people.people_master WHERE company_unique_id = %s", (cid,))
    elif kind == "slots_bulk":  # one statement over every pool company
        ex("UPDATE people.company_slot SET is_filled = %s WHERE company_unique_id LIKE 'ELM-%%'", (op[1],))
    elif kind == "signal":
        ex("SELECT outreach.fn_add_bit_signal(%s, %s, now(), %s)", (cid, op[2], uuid.uuid4().hex))
    elif kind == "refresh_all":
        ex("SELECT outreach.fn_refresh_bit_scores()")
    elif kind == "delete":
        oid = ex("SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = %s", (cid,)).fetchone()
        if oid:
            ex("SELECT count(*) FROM outreach.fn_delete_outreach_cascade(%s, 'property test', 'tester')", (oid[0],))
            state["deleted"].add(cid)


@pytest.fixture(scope="module")
def tx(dsn):
    """The pool (committed once) and a connection whose every example is rolled back."""
    with psycopg.connect(dsn, autocommit=True) as setup:
        for cid, tier in POOL:
            make_company(setup, tier, cid=cid)
    with psycopg.connect(dsn) as c:
        yield c


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(OPS, min_size=1, max_size=12))
def test_every_write_path_keeps_the_row_equal_to_the_from_scratch_one(tx, ops):
    state = {"registered": [], "deleted": set()}
    try:
        assert tx.execute(DRIFT_SQL).fetchall() == []
        totals = tx.execute("SELECT count(*) FILTER (WHERE is_required), count(*) FILTER (WHERE NOT is_required)"
                            "  FROM outreach.hub_registry").fetchone()
        for n, op in enumerate(ops):
            tx.execute("SAVEPOINT op")
            try:
                apply(tx, op, state)
            except psycopg.errors.RaiseException:
                tx.execute("ROLLBACK TO SAVEPOINT op")  # a write the rules refuse changes nothing
            except psycopg.Error as e:
                if e.sqlstate and e.sqlstate.startswith("OG"):
                    tx.execute("ROLLBACK TO SAVEPOINT op")
                else:
                    raise
            drift = tx.execute(DRIFT_SQL).fetchall()
            assert drift == [], f"after step {n} {op}: {drift}"
        # the authoritative view answers by the rule, from the from-scratch inputs
        cur = tx.cursor(row_factory=psycopg.rows.dict_row)
        # (the override columns hold 'infinity', which Python's datetime cannot;
        # the overrides' answers are checked against the overrides themselves below)
        expected = {r["company_unique_id"]: r for r in cur.execute(
            "SELECT s.company_unique_id, s.eligibility_status, s.outreach_status, s.required_passed,"
            "       s.optional_passed, s.required_failed, s.has_campaign_ready_person, s.bit_score, s.score_tier"
            "  FROM outreach.fn_company_eligibility_from_scratch() s")}
        active = {}
        for r in cur.execute("SELECT company_unique_id, override_type, tier_cap FROM outreach.manual_overrides"
                             " WHERE removed_at IS NULL AND (expires_at IS NULL OR expires_at > now())"):
            active.setdefault(r["company_unique_id"], []).append((r["override_type"], r["tier_cap"]))
        got = {r["company_unique_id"]: r for r in cur.execute(
            "SELECT * FROM outreach.vw_marketing_eligibility_with_overrides")}
        assert got.keys() == expected.keys()
        for cid, row in expected.items():
            tier, reason = model_tier(row, *totals)
            g = got[cid]
            assert (g["computed_tier"], g["tier_reason"]) == (tier, reason), cid
            assert (g["eligibility_status"], g["outreach_status"], g["bit_score"], g["score_tier"]) == \
                (row["eligibility_status"], row["outreach_status"], row["bit_score"], row["score_tier"]), cid
            types = sorted(t for t, _ in active.get(cid, []))
            caps = [c for _, c in active.get(cid, []) if c is not None]
            assert g["active_override_types"] == types, cid
            assert g["effective_tier"] == min([tier, *caps]), cid
            assert (g["marketing_disabled"], g["email_blocked"], g["phone_blocked"], g["has_active_override"]) == \
                ("BLOCK_OUTREACH" in types, bool({"BLOCK_OUTREACH", "BLOCK_EMAIL"} & set(types)),
                 bool({"BLOCK_OUTREACH", "BLOCK_PHONE"} & set(types)), bool(types)), cid
    finally:
        tx.rollback()


# ------------------------------------------------------------------ concurrency
def _row(conn, cid):
    return conn.execute("SELECT eligibility_status, required_passed, required_failed, has_campaign_ready_person"
                        "  FROM outreach.company_eligibility WHERE company_unique_id = %s", (cid,)).fetchone()


@pytest.mark.parametrize("first", ["hub", "cl"])
def test_two_writers_of_different_inputs_of_one_company_leave_a_correct_row(conn, new_conn, first):
    """Writer A sets a hub FAIL, writer B makes the company INELIGIBLE; whichever
    writes first, the other writes while the first is uncommitted, then both
    commit. The row must hold both changes."""
    cid = make_company(conn, 1)
    a, b = new_conn(autocommit=False), new_conn(autocommit=False)

    def hub(c):
        c.execute("SELECT outreach.fn_set_hub_status(%s, 'dol-filings', 'FAIL', 'concurrency test')", (cid,))

    def cl(c):
        c.execute("UPDATE cl.company_identity SET eligibility_status = 'INELIGIBLE' WHERE company_unique_id = %s",
                  (cid,))

    w1, w2 = (hub, cl) if first == "hub" else (cl, hub)
    w1(a)  # first writer: its input and the row written, uncommitted
    pid_b = b.execute("SELECT pg_backend_pid()").fetchone()[0]
    t, out = in_thread(lambda: (w2(b), b.commit()))
    # the second writer's input is written; its trigger waits for the row
    assert waits_on_lock(conn, pid_b), "the second writer did not wait for the first writer's row"
    a.commit()
    t.join(30)
    assert "error" not in out, out.get("error")
    assert _row(conn, cid) == ("INELIGIBLE", 3, 1, False)
    assert conn.execute("SELECT computed_tier, tier_reason FROM outreach.vw_marketing_eligibility_with_overrides"
                        " WHERE company_unique_id = %s", (cid,)).fetchone() == (-1, "CL_INELIGIBLE")
    assert conn.execute(DRIFT_SQL.replace("()", "(ARRAY[%s])"), (cid,)).fetchall() == []


def test_writers_of_people_and_hubs_of_one_company_commit_in_either_order(conn, new_conn):
    """The first writer commits last: the second one's recomputation must
    still see the first one's change (it waited for its lock)."""
    cid = make_company(conn, 2)
    tid, oid = target_of(conn, cid)
    a, b = new_conn(autocommit=False), new_conn(autocommit=False)
    a.execute("INSERT INTO people.people_master (slot_id, target_id, outreach_id, company_unique_id, full_name,"
              " email, email_verified) SELECT s.slot_id, s.target_id, s.outreach_id, s.company_unique_id, 'Ann',"
              " 'ann@example.com', true FROM people.company_slot s WHERE s.target_id = %s", (tid,))
    pid_b = b.execute("SELECT pg_backend_pid()").fetchone()[0]
    t, out = in_thread(lambda: (b.execute("SELECT outreach.fn_set_hub_status(%s, 'blog-content', 'IN_PROGRESS',"
                                          " 'concurrency test')", (cid,)), b.commit()))
    assert waits_on_lock(conn, pid_b)
    a.commit()
    t.join(30)
    assert "error" not in out, out.get("error")
    row = conn.execute("SELECT optional_passed, has_campaign_ready_person FROM outreach.company_eligibility"
                       " WHERE company_unique_id = %s", (cid,)).fetchone()
    assert row == (1, True)
    assert conn.execute(DRIFT_SQL.replace("()", "(ARRAY[%s])"), (cid,)).fetchall() == []


OVERRIDE_ROW_SQL = ("SELECT override_block_email_until::text, override_force_tier_until::text, override_force_tier_cap"
                    "  FROM outreach.company_eligibility WHERE company_unique_id = %s")


def test_two_override_writers_of_one_company_leave_a_correct_row(conn, new_conn):
    """Writer A sets BLOCK_EMAIL, writer B a FORCE_TIER cap on the same company:
    B waits for A's exclusive kill-switch lock, and the row holds both overrides
    after both commit, in the maintained columns and in the view."""
    cid = make_company(conn, 3)
    a, b = new_conn(autocommit=False), new_conn(autocommit=False)
    a.execute("SELECT outreach.set_marketing_override(%s, 'BLOCK_EMAIL', 'concurrency test', 'tester')", (cid,))
    pid_b = b.execute("SELECT pg_backend_pid()").fetchone()[0]
    t, out = in_thread(lambda: (b.execute("SELECT outreach.set_marketing_override(%s, 'FORCE_TIER', 'concurrency test',"
                                          " 'tester', 1)", (cid,)), b.commit()))
    assert waits_on_lock(conn, pid_b), "the second override writer did not wait for the first"
    a.commit()
    t.join(30)
    assert "error" not in out, out.get("error")
    assert conn.execute(OVERRIDE_ROW_SQL, (cid,)).fetchone() == ("infinity", "infinity", 1)
    assert conn.execute("SELECT effective_tier, email_blocked, active_override_types"
                        "  FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = %s",
                        (cid,)).fetchone() == (1, True, ["BLOCK_EMAIL", "FORCE_TIER"])
    assert conn.execute(DRIFT_SQL.replace("()", "(ARRAY[%s])"), (cid,)).fetchall() == []


def test_an_override_and_a_hub_writer_of_one_company_both_reach_the_row(conn, new_conn):
    """The override's maintenance writes only the override columns of the row's
    newest version: a concurrent hub FAIL (committed first, written second)
    is kept, and so is the override."""
    cid = make_company(conn, 3)
    a, b = new_conn(autocommit=False), new_conn(autocommit=False)
    a.execute("SELECT outreach.fn_set_hub_status(%s, 'dol-filings', 'FAIL', 'concurrency test')", (cid,))
    pid_b = b.execute("SELECT pg_backend_pid()").fetchone()[0]
    t, out = in_thread(lambda: (b.execute("SELECT outreach.set_marketing_override(%s, 'BLOCK_OUTREACH',"
                                          " 'concurrency test', 'tester', NULL, now() + interval '1 day')", (cid,)),
                                b.commit()))
    assert waits_on_lock(conn, pid_b), "the override writer did not wait for the hub writer's row"
    a.commit()
    t.join(30)
    assert "error" not in out, out.get("error")
    assert conn.execute("SELECT computed_tier, marketing_disabled, active_override_types"
                        "  FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = %s",
                        (cid,)).fetchone() == (-1, True, ["BLOCK_OUTREACH"])
    assert conn.execute(DRIFT_SQL.replace("()", "(ARRAY[%s])"), (cid,)).fetchall() == []


@pytest.mark.parametrize("first", ["override", "mint"])
def test_an_override_and_the_mint_of_one_company_both_reach_the_row(conn, new_conn, first):
    """An override may be set before the company is minted. Whichever of the two
    comes first, the other waits for it (the mint locks the CL row for update,
    the override's foreign key locks it for key share), and the new maintained
    row holds the override: a BLOCK_OUTREACH set while the mint was under way
    must never leave the company marketable."""
    cid = register_company(conn, prefix="ELM")
    override = ("SELECT outreach.set_marketing_override(%s, 'BLOCK_OUTREACH', 'concurrency test', 'tester')", (cid,))
    mint = ("SELECT outreach.fn_mint_outreach_id(%s)", (cid,))
    writes = [override, mint] if first == "override" else [mint, override]
    _second_writer_waits_then_the_row_is(conn, new_conn, writes, cid, "override_block_outreach_until::text",
                                         "infinity")
    assert conn.execute("SELECT marketing_disabled FROM outreach.vw_marketing_eligibility_with_overrides"
                        " WHERE company_unique_id = %s", (cid,)).fetchone() == (True,)


def test_every_override_type_has_its_column_in_the_row(conn):
    """The override types are listed once, by manual_overrides_type_check; the
    maintained row has one expiry column per type
    (override_<type>_until, docs/maintained-eligibility.md). A new type
    without its column (in the table and in the from-scratch override state)
    fails here."""
    definition = conn.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                              " WHERE conrelid = 'outreach.manual_overrides'::regclass"
                              "   AND conname = 'manual_overrides_type_check'").fetchone()[0]
    types = re.findall(r"'([A-Z_]+)'::text", definition)
    assert len(types) >= 4, definition
    columns = ("SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attnum > 0"
               "   AND NOT a.attisdropped AND a.attname LIKE 'override\\_%%\\_until'")
    wanted = sorted(f"override_{t.lower()}_until" for t in types)
    for relation in ("outreach.company_eligibility", "outreach._company_override_state"):
        assert sorted(r[0] for r in conn.execute(columns, (relation,))) == wanted, relation


# ------------------------------------------------------------------ the guard and the drift check
def test_truncate_and_direct_writes_are_refused(conn, new_conn):
    cid = make_company(conn, 1)
    before = _row(conn, cid)
    for stmt in ("TRUNCATE outreach.company_eligibility",
                 "UPDATE outreach.company_eligibility SET required_passed = 4 WHERE company_unique_id = %(c)s",
                 "DELETE FROM outreach.company_eligibility WHERE company_unique_id = %(c)s",
                 "INSERT INTO outreach.company_eligibility SELECT * FROM outreach.company_eligibility"
                 " WHERE company_unique_id = %(c)s ON CONFLICT DO NOTHING"):
        for role in (None, "outreach_owner"):  # a superuser, and the owner itself
            with conn.transaction():
                if role:
                    conn.execute(f"SET LOCAL ROLE {role}")
                with pytest.raises(psycopg.Error) as e:
                    conn.execute(stmt, {"c": cid})
                assert e.value.sqlstate == "OG005", (stmt, role, e.value)
                raise psycopg.Rollback()
    # a role without the privilege never reaches the guard
    for role in ("outreach_hub_writer", "outreach_reader", "outreach_sender"):
        with conn.transaction():
            conn.execute(f"SET LOCAL ROLE {role}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("UPDATE outreach.company_eligibility SET required_passed = 4"
                             " WHERE company_unique_id = %s", (cid,))
            raise psycopg.Rollback()
    assert _row(conn, cid) == before


def test_drift_is_reported_and_rebuilt(conn):
    cid = make_company(conn, 1)
    other = make_company(conn, 0)
    assert conn.execute(DRIFT_SQL).fetchall() == []
    # behind the triggers' back: a replica-mode session (as a data-only restore) skips them
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("UPDATE cl.company_identity SET eligibility_status = 'INELIGIBLE' WHERE company_unique_id = %s",
                     (cid,))
    drift = conn.execute(DRIFT_SQL).fetchall()
    assert [d[0] for d in drift] == [cid]
    assert drift[0][1]["eligibility_status"] == "ELIGIBLE" and drift[0][2]["eligibility_status"] == "INELIGIBLE"
    assert conn.execute("SELECT outreach.fn_rebuild_company_eligibility()").fetchone()[0] == 1
    assert conn.execute(DRIFT_SQL).fetchall() == []
    assert _row(conn, cid)[0] == "INELIGIBLE"
    assert _row(conn, other)[0] == "ELIGIBLE"
    # nothing left to do: a second rebuild changes no row
    assert conn.execute("SELECT outreach.fn_rebuild_company_eligibility()").fetchone()[0] == 0


def test_a_stored_tier_that_differs_from_the_rule_is_drift_and_rebuilt(conn):
    """The row stores computed_tier; the drift check compares it with the
    rule over the inputs computed from scratch, and the rebuild repairs it."""
    cid = make_company(conn, 3)
    tier = conn.execute("SELECT computed_tier FROM outreach.vw_marketing_eligibility WHERE company_unique_id = %s",
                        (cid,)).fetchone()[0]
    with conn.transaction():
        # behind the maintenance's back: the owner, sanctioned, writes a wrong tier
        conn.execute("SET LOCAL ROLE outreach_owner")
        conn.execute("SELECT set_config('shq.sanctioned_writer', 'outreach.company_eligibility', true)")
        conn.execute("UPDATE outreach.company_eligibility SET computed_tier = %s WHERE company_unique_id = %s",
                     (tier - 1, cid))
    drift = conn.execute(DRIFT_SQL).fetchall()
    assert [d[0] for d in drift] == [cid]
    assert drift[0][1]["computed_tier"] == tier - 1 and drift[0][2]["computed_tier"] == tier
    assert conn.execute("SELECT outreach.fn_rebuild_company_eligibility()").fetchone()[0] == 1
    assert conn.execute(DRIFT_SQL).fetchall() == []
    assert conn.execute("SELECT computed_tier FROM outreach.vw_marketing_eligibility_with_overrides"
                        " WHERE company_unique_id = %s", (cid,)).fetchone()[0] == tier


def test_bulk_statement_fires_the_maintenance_once(conn):
    """One statement over many companies costs one rebuild call, not one per row."""
    cids = [make_company(conn, 3, prefix="ELB") for _ in range(3)]
    with conn.transaction():
        conn.execute("SET LOCAL track_functions = 'all'")
        conn.execute("UPDATE people.company_slot SET is_filled = false WHERE company_unique_id = ANY(%s)", (cids,))
        calls = conn.execute("SELECT pg_stat_get_xact_function_calls("
                             "'outreach._maintain_company_eligibility'::regproc)").fetchone()[0]
    assert calls == 1
    assert [r[0] for r in conn.execute(
        "SELECT company_unique_id FROM outreach.company_eligibility WHERE company_unique_id = ANY(%s)"
        " AND NOT has_campaign_ready_person ORDER BY 1", (cids,))] == sorted(cids)
    assert conn.execute(DRIFT_SQL).fetchall() == []


def test_verify_names_each_drifted_company_and_migrate_repairs_it(conn, dsn):
    from pyctl.migrate import migrate
    from pyctl.verify import CHECKS, verify

    only = tuple(c for c in CHECKS if c != "eligibility")  # with --audit: it reads every company
    cid = make_company(conn, 2)
    assert verify(dsn, audit=True, skip=only)["checks"]["eligibility"]["ok"] is True
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("SELECT outreach.fn_set_hub_status(%s, 'blog-content', 'FAIL', 'behind the back')", (cid,))
    report = verify(dsn, audit=True, skip=only)
    check = report["checks"]["eligibility"]
    assert report["ok"] is False and check["ok"] is False
    assert [f["subject"] for f in check["failures"]] == [cid]
    assert "optional_passed=2 (from scratch 1)" in check["failures"][0]["problem"]
    assert migrate(dsn).eligibility_rebuilt == 1
    assert verify(dsn, audit=True, skip=only)["checks"]["eligibility"]["ok"] is True


def _second_writer_waits_then_the_row_is(conn, new_conn, writes, cid: str, column: str, expected) -> None:
    """Two transactions, each one write of `writes`: the second waits for the
    first's lock; after both commit the maintained `column` of `cid` is
    `expected` and the row does not drift."""
    a, b = new_conn(autocommit=False), new_conn(autocommit=False)
    a.execute(*writes[0])
    pid_b = b.execute("SELECT pg_backend_pid()").fetchone()[0]
    t, out = in_thread(lambda: (b.execute(*writes[1]), b.commit()))
    assert waits_on_lock(conn, pid_b)
    a.commit()
    t.join(30)
    assert "error" not in out, out.get("error")
    assert conn.execute(f"SELECT {column} FROM outreach.company_eligibility WHERE company_unique_id = %s",
                        (cid,)).fetchone()[0] == expected
    assert conn.execute(DRIFT_SQL.replace("()", "(ARRAY[%s])"), (cid,)).fetchall() == []


@pytest.mark.parametrize("source", ["hubs", "people"])
def test_two_writers_of_one_input_of_one_company_both_count(conn, new_conn, source):
    """Two rows of the same input table, one company, two transactions: the
    column both feed counts both (the later writer recomputes after the
    earlier one's commit)."""
    if source == "hubs":
        cid = make_company(conn, 2, set_statuses=False)
        for hub in ("company-target", "dol-filings", "people-intelligence", "talent-flow"):
            conn.execute("SELECT outreach.fn_set_hub_status(%s, %s, 'PASS', 'test')", (cid, hub))
        writes = [("SELECT outreach.fn_set_hub_status(%s, 'blog-content', 'PASS', 'test')", (cid,)),
                  ("SELECT outreach.fn_set_hub_status(%s, 'bit-engine', 'PASS', 'test')", (cid,))]
        column, expected = "optional_passed", 2
    else:
        cid = make_company(conn, 2)
        tid, _oid = target_of(conn, cid)
        conn.execute("INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type)"
                     " SELECT target_id, outreach_id, company_unique_id, 'CFO' FROM outreach.company_target"
                     " WHERE target_id = %s", (tid,))
        # one fills the empty slot, the other seats a verified person in it
        writes = [("UPDATE people.company_slot SET is_filled = true WHERE target_id = %s AND slot_type = 'CFO'",
                   (tid,)),
                  ("INSERT INTO people.people_master (slot_id, target_id, outreach_id, company_unique_id, full_name,"
                   " email, email_verified) SELECT slot_id, target_id, outreach_id, company_unique_id, 'Cy',"
                   " 'cy@example.com', true FROM people.company_slot WHERE target_id = %s AND slot_type = 'CFO'",
                   (tid,))]
        column, expected = "has_campaign_ready_person", True
    _second_writer_waits_then_the_row_is(conn, new_conn, writes, cid, column, expected)


@pytest.mark.parametrize("source", ["target", "cl"])
def test_two_writers_of_a_one_row_input_of_one_company_leave_the_last_value(conn, new_conn, source):
    """CL and the Company Target hold one row per company, and the maintenance
    of a single company of theirs takes no row lock of its own: the input
    row's lock orders the two writers, and the maintained row ends with the
    value of the one that committed last."""
    cid = make_company(conn, 2, prefix="EL1")
    tid, _oid = target_of(conn, cid)
    if source == "target":
        writes = [("SELECT outreach.fn_set_outreach_status(%s, 'paused', 'test')", (tid,)),
                  ("SELECT outreach.fn_set_outreach_status(%s, 'active', 'test')", (tid,))]
        column, expected = "outreach_status", "active"
    else:
        update = "UPDATE cl.company_identity SET eligibility_status = %s WHERE company_unique_id = %s"
        writes = [(update, ("INELIGIBLE", cid)), (update, ("ELIGIBLE", cid))]
        column, expected = "eligibility_status", "ELIGIBLE"
    _second_writer_waits_then_the_row_is(conn, new_conn, writes, cid, column, expected)


def test_registering_a_company_with_cl_maintains_nothing(conn):
    """A company new to CL has no spine row, so no maintained row: its
    registration makes no maintenance call (CL has no INSERT trigger for it)."""
    cid = f"ELR-{uuid.uuid4().hex[:8]}"
    assert _maintenance_calls(conn, "SELECT cl.fn_register_company(%s, %s, %s)",
                              (cid, cid, f"{cid.lower()}.example.com")) == 0
    assert conn.execute("SELECT count(*) FROM outreach.company_eligibility WHERE company_unique_id = %s",
                        (cid,)).fetchone()[0] == 0


def test_a_spine_insert_of_new_companies_inserts_their_rows_in_the_trigger(conn):
    """A spine INSERT of companies without a maintained row (the mint; here
    one statement over three companies, one of them INELIGIBLE) inserts their
    rows from the from-scratch view in the trigger itself: no call of the
    per-table maintenance, one row per company, equal to the from-scratch row."""
    cids = [register_company(conn, prefix="ELS", eligibility=e) for e in ("ELIGIBLE", "INELIGIBLE", "ELIGIBLE")]
    statement = ("INSERT INTO outreach.outreach (company_unique_id) SELECT unnest(%s::text[])")
    assert _maintenance_calls(conn, statement, (cids,)) == 0
    with conn.transaction():
        conn.execute(statement, (cids,))
        rows = conn.execute("SELECT e.company_unique_id, e.outreach_id = o.outreach_id, e.eligibility_status"
                            "  FROM outreach.company_eligibility e"
                            "  JOIN outreach.outreach o USING (company_unique_id)"
                            " WHERE e.company_unique_id = ANY(%s) ORDER BY 1", (cids,)).fetchall()
        assert rows == sorted([(c, True, e) for c, e in zip(cids, ("ELIGIBLE", "INELIGIBLE", "ELIGIBLE"))])
        assert conn.execute(DRIFT_SQL).fetchall() == []
        raise psycopg.Rollback()


def test_a_spine_insert_of_a_company_that_still_has_a_row_rebuilds_it(conn):
    """A spine INSERT of a company whose maintained row is still there (its
    spine row was deleted behind the triggers' back) goes through the
    whole-row rebuild: the row takes the new spine id, with the other new
    company of the same statement inserted."""
    stale, fresh = register_company(conn, prefix="ELS"), register_company(conn, prefix="ELS")
    conn.execute("SELECT outreach.fn_mint_outreach_id(%s)", (stale,))
    with conn.transaction():
        conn.execute("ALTER TABLE outreach.outreach DISABLE TRIGGER trg_outreach_500_eligibility_delete")
        conn.execute("DELETE FROM outreach.outreach WHERE company_unique_id = %s", (stale,))
        conn.execute("ALTER TABLE outreach.outreach ENABLE TRIGGER trg_outreach_500_eligibility_delete")
        assert conn.execute(DRIFT_SQL).fetchall() != []
        new_oid = uuid.uuid4()
        conn.execute("INSERT INTO outreach.outreach (outreach_id, company_unique_id) VALUES (%s, %s), (DEFAULT, %s)",
                     (new_oid, stale, fresh))
        assert conn.execute("SELECT outreach_id FROM outreach.company_eligibility WHERE company_unique_id = %s",
                            (stale,)).fetchone()[0] == new_oid
        assert conn.execute("SELECT count(*) FROM outreach.company_eligibility WHERE company_unique_id = %s",
                            (fresh,)).fetchone()[0] == 1
        assert conn.execute(DRIFT_SQL).fetchall() == []
        raise psycopg.Rollback()


def test_truncate_of_an_input_rebuilds_every_row(conn):
    cid = make_company(conn, 3)
    with conn.transaction():
        conn.execute("TRUNCATE people.people_master")
        assert _row(conn, cid)[3] is False
        assert conn.execute(DRIFT_SQL).fetchall() == []
        raise psycopg.Rollback()
    assert _row(conn, cid)[3] is True


def _maintenance_calls(conn, statement: str, params) -> int:
    """How many times `statement` called the maintenance (rolled back)."""
    calls = ("SELECT coalesce(pg_stat_get_xact_function_calls('outreach._maintain_company_eligibility'::regproc), 0)")
    conn.execute("BEGIN")
    try:
        conn.execute("SET LOCAL track_functions = 'all'")
        # the counter may still hold earlier transactions' calls (not yet flushed): a difference
        before = conn.execute(calls).fetchone()[0]
        conn.execute(statement, params)
        return conn.execute(calls).fetchone()[0] - before
    finally:
        conn.execute("ROLLBACK")


def test_an_update_of_columns_the_row_does_not_read_maintains_nothing(conn):
    """An UPDATE that changes no column the maintained row reads (a name, a
    reason, a value set to itself) makes no maintenance call; one that does,
    does, and the row follows it."""
    cid = make_company(conn, 2, prefix="ELU")
    assert _maintenance_calls(conn, "UPDATE cl.company_identity SET company_name = company_name || ' Inc'"
                                    " WHERE company_unique_id = %s", (cid,)) == 0
    assert _maintenance_calls(conn, "UPDATE cl.company_identity SET eligibility_status = eligibility_status"
                                    " WHERE company_unique_id = %s", (cid,)) == 0
    set_hub = "SELECT outreach.fn_set_hub_status(%s, 'dol-filings', %s, %s)"
    assert _maintenance_calls(conn, set_hub, (cid, "FAIL", "first")) == 1
    conn.execute(set_hub, (cid, "FAIL", "first"))
    assert _row(conn, cid)[2] == 1
    # the same status again, another reason: only status_reason and updated_at change
    assert _maintenance_calls(conn, set_hub, (cid, "FAIL", "second")) == 0
    assert _maintenance_calls(conn, "UPDATE cl.company_identity SET eligibility_status = 'INELIGIBLE'"
                                    " WHERE company_unique_id = %s", (cid,)) == 1
    conn.execute("UPDATE cl.company_identity SET eligibility_status = 'INELIGIBLE' WHERE company_unique_id = %s",
                 (cid,))
    assert _row(conn, cid)[0] == "INELIGIBLE"
    assert conn.execute(DRIFT_SQL).fetchall() == []


#: per input table, an UPDATE of a column the maintained row does not read,
#: and one that changes a column it reads (the hub statuses go through their
#: sanctioned writer, above; a move to another company, below)
UPDATES_BY_TABLE = [
    ("UPDATE cl.company_identity SET company_name = company_name || ' Inc'", 0),
    ("UPDATE cl.company_identity SET eligibility_status ="
     " CASE eligibility_status WHEN 'ELIGIBLE' THEN 'INELIGIBLE' ELSE 'ELIGIBLE' END", 1),
    ("UPDATE outreach.company_target SET status_reason = 'elsewhere'", 0),
    ("UPDATE outreach.company_target SET outreach_status ="
     " CASE outreach_status WHEN 'paused' THEN 'active' ELSE 'paused' END", 1),
    ("UPDATE people.company_slot SET updated_at = updated_at + interval '1 second'", 0),
    ("UPDATE people.company_slot SET is_filled = NOT is_filled", 1),
    ("UPDATE people.people_master SET full_name = full_name || ' Jr'", 0),
    ("UPDATE people.people_master SET email_verified = NOT email_verified", 1),
]


@pytest.mark.parametrize("statement, calls", UPDATES_BY_TABLE)
def test_each_input_table_maintains_only_when_a_read_column_changes(conn, statement, calls):
    """The UPDATE trigger generated for each input table compares exactly the
    columns the row reads: one company's row (the one-row comparison) or two
    companies' rows (the multiset one) changed elsewhere cost no maintenance
    call, and changed in a read column one call for the statement."""
    a = make_company(conn, 3, prefix="ELT")
    b = make_company(conn, 3, prefix="ELT")
    assert _maintenance_calls(conn, statement + " WHERE company_unique_id = %s", (a,)) == calls
    assert _maintenance_calls(conn, statement + " WHERE company_unique_id IN (%s, %s)", (a, b)) == calls
    assert conn.execute(DRIFT_SQL).fetchall() == []


def test_a_one_row_update_that_moves_a_row_to_another_company_maintains_both(conn):
    """A single-row UPDATE compares its one pair of rows directly: a row that
    moves to another company leaves the first company's row too. A verified
    person moved from A's slot into B's: A has no campaign-ready person left."""
    a = make_company(conn, 3, prefix="ELV")
    b = make_company(conn, 1, prefix="ELV")
    assert _row(conn, a)[3] is True and _row(conn, b)[3] is False
    with conn.transaction():
        conn.execute("UPDATE people.people_master pm SET slot_id = s.slot_id, target_id = s.target_id,"
                     "       outreach_id = s.outreach_id, company_unique_id = s.company_unique_id"
                     "  FROM people.company_slot s WHERE s.company_unique_id = %s AND pm.company_unique_id = %s",
                     (b, a))
    assert _row(conn, a)[3] is False
    assert _row(conn, b)[3] is True
    assert conn.execute(DRIFT_SQL).fetchall() == []


#: the columns each input table's UPDATE compares, against what the from-scratch view reads
DEPENDENCIES_SQL = """
WITH RECURSIVE views(oid) AS (
    SELECT 'outreach._company_eligibility_from_scratch'::regclass::oid
    UNION
    SELECT d.refobjid FROM views v
      JOIN pg_rewrite r ON r.ev_class = v.oid
      JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                      AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> v.oid
      JOIN pg_class c ON c.oid = d.refobjid AND c.relkind = 'v')
SELECT d.refobjid::regclass::text, array_agg(DISTINCT a.attname::text ORDER BY a.attname::text)
  FROM views v
  JOIN pg_rewrite r ON r.ev_class = v.oid
  JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refobjsubid > 0
  JOIN pg_class c ON c.oid = d.refobjid AND c.relkind IN ('r', 'p')
  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE a.attname <> 'company_unique_id'
   AND EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = d.refobjid AND t.tgname LIKE 'trg\\_%\\_500\\_eligibility\\_%')
 GROUP BY 1 ORDER BY 1"""


def _plan_rows(node: dict) -> list[int]:
    """Rows each node of an EXPLAIN (ANALYZE, FORMAT JSON) plan produced, over all its loops."""
    rows = [int(node.get("Actual Rows", 0) * node.get("Actual Loops", 0))]
    for child in node.get("Plans", []):
        rows += _plan_rows(child)
    return rows


def test_a_many_row_update_never_pairs_every_new_row_with_every_old_one(conn):
    """The generated UPDATE function's first statement counts the rows and
    pairs new with old only for a one-row UPDATE. Its test of the count must
    gate the pairing once: as a filter of the pairs it would make n * n of
    them (10,000 rows: 10^8 pairs, seconds per statement). Each table's own
    statement, on transition tables of 300 rows each."""
    n = 300
    sources = conn.execute(
        "SELECT c.oid::regclass::text, p.prosrc FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
        "  JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE t.tgname LIKE 'trg\\_%\\_500\\_eligibility\\_update'"
        "   AND p.proname LIKE 'tg\\_company\\_eligibility\\_\\_after\\_update\\_%'").fetchall()
    assert len(sources) >= 4, sources
    for table, source in sources:
        statement = re.search(r"SELECT c\.row_count.*?ON true;", source, re.S).group(0)
        statement = re.sub(r"INTO v_rows, v_new_id, v_old_id, v_changed", "", statement).rstrip(";")
        with conn.transaction(force_rollback=True):
            for name in ("new_rows", "old_rows"):
                conn.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {table} LIMIT 0")
                conn.execute(f"INSERT INTO {name} (company_unique_id) SELECT 'P' || i FROM generate_series(1, %s) i",
                             (n,))
            plan = conn.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement).fetchone()[0][0]["Plan"]
            assert plan["Actual Rows"] == 1, (table, plan)
            assert max(_plan_rows(plan)) < n * n, (table, plan)


def test_the_compared_columns_are_the_ones_the_from_scratch_view_reads(conn):
    """outreach._company_eligibility_inputs lists, for every input table,
    exactly the columns the from-scratch computation reads."""
    reads = dict(conn.execute(DEPENDENCIES_SQL).fetchall())
    # the overrides are maintained by their own trigger, which copies
    # outreach._company_override_state whole, not by the generated ones
    assert reads.pop("outreach.manual_overrides") == ["expires_at", "override_type", "removed_at", "tier_cap"]
    assert len(reads) == 7, reads
    listed = dict(conn.execute("SELECT i.input::text, (SELECT array_agg(c ORDER BY c) FROM unnest(i.read_columns) AS c)"
                               "  FROM outreach._company_eligibility_inputs() AS i").fetchall())
    assert listed == reads
    # each UPDATE trigger calls the function the installer generated for its
    # table, whose one-row comparison names the listed columns (the BIT
    # refresh's copy trigger compares nothing)
    compared = {}
    for table, relname, function, source in conn.execute(
            "SELECT t.tgrelid::regclass::text, c.relname::text, p.oid::regprocedure::text, p.prosrc"
            "  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid"
            " WHERE t.tgname LIKE 'trg\\_%\\_500\\_eligibility\\_update'"
            "   AND t.tgrelid NOT IN ('outreach.bit_scores'::regclass, 'outreach.manual_overrides'::regclass)").fetchall():
        assert function == f"outreach.tg_company_eligibility__after_update_{relname}()"
        pair = re.search(r"\(([^()]*)\) IS DISTINCT FROM \(([^()]*)\)", source)
        new = [c.removeprefix("n.") for c in pair.group(1).split(", ")]
        old = [c.removeprefix("o.") for c in pair.group(2).split(", ")]
        assert new == old
        compared[table] = sorted(new)
    assert compared == {table: cols for table, cols in reads.items() if table != "outreach.bit_scores"}


def test_the_from_scratch_view_has_the_columns_of_the_row_in_its_order(conn):
    """The writers insert the from-scratch view's row whole (SELECT s.*), which
    matches columns by position: the view must have the table's columns, with
    the table's types, in the table's order. Two integer counts swapped in the
    view would otherwise land in each other's column without an error."""
    columns = ("SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a"
               " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")
    table = conn.execute(columns, ("outreach.company_eligibility",)).fetchall()
    assert len(table) == 16, table
    assert conn.execute(columns, ("outreach._company_eligibility_from_scratch",)).fetchall() == table


def test_the_row_column_list_is_written_only_by_the_view(conn):
    """A new column of the maintained row is added to the table and to the
    from-scratch view, and nowhere else: no function lists the row's columns
    one by one (a SELECT list in the table's order); they select the view's
    row whole. The pattern is made from the table's own columns."""
    pattern = conn.execute(
        "SELECT string_agg('(\\w+\\.)?' || a.attname, ',\\s*' ORDER BY a.attnum) FROM pg_attribute a"
        " WHERE a.attrelid = 'outreach.company_eligibility'::regclass AND a.attnum > 0 AND NOT a.attisdropped"
    ).fetchone()[0]
    # it finds such a list where there is one
    written = ("SELECT s.company_unique_id, s.outreach_id, s.eligibility_status, s.outreach_status,\n"
               "       s.required_passed, s.optional_passed, s.required_failed, s.has_campaign_ready_person,\n"
               "       s.bit_score, s.score_tier, s.override_block_outreach_until, s.override_block_email_until,\n"
               "       s.override_block_phone_until, s.override_force_tier_until, s.override_force_tier_cap,\n"
               "       s.computed_tier FROM x s")
    assert conn.execute("SELECT %s ~ %s", (written, pattern)).fetchone()[0] is True
    listing = conn.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p"
        " WHERE p.pronamespace::regnamespace::text IN ('cl', 'outreach', 'people', 'company', 'shq')"
        "   AND p.prosrc ~ %s ORDER BY 1", (pattern,)).fetchall()
    assert listing == []
