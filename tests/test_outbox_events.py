"""The outbox's producers (docs/consuming-events.md): each event type is
written by the change that causes it, in that change's transaction (a rolled
back change leaves none), with the payload keys its type declares; one
NOTIFY per destination and transaction wakes the consumers."""
from __future__ import annotations

import psycopg
import pytest

from campaign_support import create_campaign, override, remove_override, step_id
from helpers import make_company, new_id, register_company, target_of
from outbox_support import engage, events, send, tiers


def payload_keys(conn) -> dict[tuple[str, str], set[str]]:
    return {(d, t): set(k) for d, t, k in
            conn.execute("SELECT destination, event_type, payload_keys FROM outreach.outbox_event_types")}


# ------------------------------------------------------------------ TIER_CHANGED
def test_a_new_company_announces_its_tier_then_each_move(conn):
    cid = make_company(conn, tier=1, prefix="OBX-NEW")
    # the target's IN_PROGRESS hubs: tier 0 (never announced before); the
    # last required hub's PASS: tier 1
    assert tiers(conn, cid) == [(None, 0, "hub_status"), (0, 1, "hub_status")]
    ev = events(conn, cid, "cl")[-1]
    oid = target_of(conn, cid)[1]
    assert conn.execute("SELECT outreach_id FROM outreach.outbox_events WHERE company_unique_id = %s"
                        " ORDER BY event_id DESC LIMIT 1", (cid,)).fetchone()[0] == oid
    assert ev[2] == {"effective_tier": 1, "previous_tier": 0, "computed_tier": 1, "tier_reason": "MARKETING_READY",
                     "cause": "hub_status"}


def test_overrides_move_the_effective_tier_and_nothing_else(conn):
    cid = make_company(conn, tier=2, prefix="OBX-OVR")
    before = len(events(conn, cid))
    override(conn, cid, "FORCE_TIER", 1)
    assert tiers(conn, cid)[-1] == (2, 1, "override")
    override(conn, cid, "BLOCK_EMAIL")            # no tier change: no event
    assert len(events(conn, cid)) == before + 1
    # replacing the cap (remove old + set new in one call) announces only the result
    override(conn, cid, "FORCE_TIER", 0)
    assert tiers(conn, cid)[-1] == (1, 0, "override")
    remove_override(conn, cid, "FORCE_TIER")
    assert tiers(conn, cid)[-2:] == [(1, 0, "override"), (0, 2, "override")]
    assert len(events(conn, cid)) == before + 3


def test_a_cl_eligibility_change_moves_the_tier(conn):
    cid = make_company(conn, tier=1, prefix="OBX-CL")
    conn.execute("SELECT cl.fn_register_company(%s, 'Renamed', 'renamed.example.com')", (cid,))  # no move
    assert tiers(conn, cid)[-1] == (0, 1, "hub_status")
    conn.execute("SELECT cl.fn_register_company(%s, 'Renamed', 'renamed.example.com', 'INELIGIBLE')", (cid,))
    assert tiers(conn, cid)[-1] == (1, -1, "cl_eligibility")


def test_a_hub_status_write_that_keeps_the_tier_writes_nothing(conn):
    cid = make_company(conn, tier=1, prefix="OBX-SAME")
    n = len(events(conn, cid))
    conn.execute("SELECT outreach.fn_set_hub_status(%s, 'dol-filings', 'PASS', 'again')", (cid,))
    conn.execute("SELECT outreach.fn_set_hub_status(%s, 'blog-content', 'IN_PROGRESS', 'optional')", (cid,))
    assert len(events(conn, cid)) == n
    conn.execute("SELECT outreach.fn_set_hub_status(%s, 'dol-filings', 'FAIL', 'no filing')", (cid,))
    assert tiers(conn, cid)[-1] == (1, -1, "hub_status")


def test_the_bulk_evaluation_announces_each_company_once_with_its_final_tier(conn):
    ids = [make_company(conn, tier=2, prefix="OBX-BULK", set_statuses=False) for _ in range(3)]
    assert all(tiers(conn, c) == [(None, 0, "hub_status")] for c in ids)
    conn.execute("SELECT outreach.fn_evaluate_hub_statuses()")
    # promoted in rounds (company-target first, then the rest), announced once
    assert all(tiers(conn, c) == [(None, 0, "hub_status"), (0, 2, "hub_status")] for c in ids)


def test_a_rolled_back_change_writes_no_event_and_keeps_the_announced_tier(conn):
    cid = make_company(conn, tier=1, prefix="OBX-RB")
    n = len(events(conn, cid))
    with pytest.raises(RuntimeError):
        with conn.transaction():
            override(conn, cid, "FORCE_TIER", 0)
            assert tiers(conn, cid)[-1] == (1, 0, "override")   # written in the change's own transaction
            raise RuntimeError("roll back")
    assert len(events(conn, cid)) == n
    assert conn.execute("SELECT effective_tier FROM outreach.outbox_tier_state WHERE company_unique_id = %s",
                        (cid,)).fetchone()[0] == 1
    override(conn, cid, "FORCE_TIER", 0)
    assert tiers(conn, cid)[-1] == (1, 0, "override")


def test_reconciliation_announces_what_moved_without_a_write(conn):
    cid = make_company(conn, tier=2, prefix="OBX-REC")
    conn.execute("SELECT outreach.set_marketing_override(%s, 'FORCE_TIER', 't', 'tester', 1,"
                 " clock_timestamp() + interval '1 second')", (cid,))
    assert tiers(conn, cid)[-1] == (2, 1, "override")
    conn.execute("SELECT pg_sleep(1.2)")                # the cap expired: no write, no event
    assert tiers(conn, cid)[-1] == (2, 1, "override")
    assert conn.execute("SELECT outreach.fn_outbox_reconcile_tiers()").fetchone()[0] >= 1
    assert tiers(conn, cid)[-1] == (1, 2, "reconcile")
    assert conn.execute("SELECT outreach.fn_outbox_reconcile_tiers()").fetchone()[0] == 0


# ------------------------------------------------------------------ sends, engagement, target status
def test_sends_and_engagement_reach_analytics_and_cl(conn):
    cid = make_company(conn, tier=1, prefix="OBX-ENG")
    tid = target_of(conn, cid)[0]
    camp = create_campaign(conn, new_id("OBX-CMP"), delays=(0, 3))
    seq = step_id(conn, camp, 1)
    n = len(events(conn, cid))
    send_id = send(conn, cid, camp, seq)
    got = events(conn, cid)[n:]
    assert [(d, t) for d, t, _p in got] == [("sender", "SEND_REQUESTED"), ("analytics", "SEND")]
    assert got[0][2]["mode"] == "direct" and got[0][2]["send_id"] == send_id and got[0][2]["request_id"] is None
    assert got[0][2]["correlation_id"] == f"test-{cid}"
    assert got[1][2] == {"send_id": send_id, "target_id": tid, "campaign_id": camp, "sequence_id": seq,
                         "step_number": 1, "person_id": None, "channel": "EMAIL",
                         "gate_audit_id": got[1][2]["gate_audit_id"], "request_id": None}

    n = len(events(conn, cid))
    for kind in ("OPEN", "CLICK", "REPLY", "BOUNCE", "UNSUBSCRIBE", "UNSUBSCRIBE"):
        engage(conn, send_id, kind)
    got = [(d, t) for d, t, _p in events(conn, cid)[n:]]
    assert got == [("analytics", "OPEN"), ("analytics", "CLICK"), ("analytics", "REPLY"), ("cl", "REPLIED"),
                   ("analytics", "BOUNCE"), ("cl", "BOUNCED"),
                   # the opt-out (once: the second UNSUBSCRIBE finds the target opted out already)
                   ("cl", "UNSUBSCRIBED"), ("analytics", "UNSUBSCRIBE"), ("analytics", "UNSUBSCRIBE")]
    unsub = [p for d, t, p in events(conn, cid) if t == "UNSUBSCRIBED"][0]
    assert unsub["target_id"] == tid and unsub["previous_status"] == "active" and "UNSUBSCRIBE" in unsub["reason"]


def test_the_last_step_exhausts_the_target(conn):
    cid = make_company(conn, tier=1, prefix="OBX-EXH")
    camp = create_campaign(conn, new_id("OBX-CMP"), delays=(0,))
    send(conn, cid, camp, step_id(conn, camp, 1))
    (ev,) = [p for d, t, p in events(conn, cid, "cl") if t == "EXHAUSTED"]
    assert ev["previous_status"] == "queued" and ev["target_id"] == target_of(conn, cid)[0]


def test_an_operator_opt_out_is_unsubscribed(conn):
    cid = make_company(conn, tier=1, prefix="OBX-OPT")
    conn.execute("SELECT outreach.fn_set_outreach_status(%s, 'paused', 'waiting for legal')", (target_of(conn, cid)[0],))
    assert [t for _d, t, _p in events(conn, cid, "cl") if t != "TIER_CHANGED"] == []
    conn.execute("SELECT outreach.fn_set_outreach_status(%s, 'opted_out', 'asked by phone')", (target_of(conn, cid)[0],))
    (ev,) = [p for d, t, p in events(conn, cid, "cl") if t == "UNSUBSCRIBED"]
    assert ev["previous_status"] == "paused" and ev["reason"] == "asked by phone"


def test_a_failed_send_leaves_no_event(conn):
    cid = make_company(conn, tier=1, prefix="OBX-FAIL")
    camp = create_campaign(conn, new_id("OBX-CMP"))
    n = len(events(conn, cid))
    with pytest.raises(psycopg.Error) as e:
        with conn.transaction():
            conn.execute("INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id)"
                         " VALUES (%s, %s, 'EMAIL', gen_random_uuid())", (cid, camp))
    assert e.value.sqlstate == "OG008"
    with pytest.raises(RuntimeError):
        with conn.transaction():
            send_id = send(conn, cid, camp, step_id(conn, camp, 1))
            engage(conn, send_id, "REPLY")
            raise RuntimeError("the provider failed")
    assert len(events(conn, cid)) == n


def test_every_payload_has_exactly_the_keys_of_its_type(conn):
    keys = payload_keys(conn)
    seen = {}
    for d, t, p in conn.execute("SELECT destination, event_type, payload FROM outreach.outbox_events"):
        assert set(p) == keys[(d, t)], (d, t, p)
        seen[(d, t)] = True
    # the module's tests have produced every type but the queued request
    assert set(keys) - set(seen) <= {("sender", "SEND_REQUESTED")}


def test_a_queued_request_is_an_event_with_its_request_row(conn):
    cid = make_company(conn, tier=1, prefix="OBX-Q")
    camp = create_campaign(conn, new_id("OBX-CMP"))
    seq = step_id(conn, camp, 1)
    audit_id = conn.execute("SELECT audit_id FROM outreach.fn_safety_gate_check(%s, %s, 'corr-q')",
                            (cid, camp)).fetchone()[0]
    rid = conn.execute("SELECT outreach.fn_queue_send(%s, %s)", (audit_id, seq)).fetchone()[0]
    ((d, t, p),) = events(conn, cid, "sender")
    assert (d, t) == ("sender", "SEND_REQUESTED") and p["mode"] == "queued" and p["request_id"] == rid
    assert set(p) == payload_keys(conn)[(d, t)]
    assert conn.execute("SELECT event_id FROM outreach.outbox_events WHERE company_unique_id = %s"
                        " AND destination = 'sender'", (cid,)).fetchone()[0] == rid
    assert conn.execute("SELECT status, correlation_id, queued_audit_id FROM outreach.send_requests"
                        " WHERE request_id = %s", (rid,)).fetchone() == ("pending", "corr-q", audit_id)
    # the same step again, while it is pending: nothing more
    audit2 = conn.execute("SELECT audit_id FROM outreach.fn_safety_gate_check(%s, %s, 'corr-q2')",
                          (cid, camp)).fetchone()[0]
    assert conn.execute("SELECT outreach.fn_queue_send(%s, %s)", (audit2, seq)).fetchone()[0] is None
    assert len(events(conn, cid, "sender")) == 1
    blocked = conn.execute("SELECT audit_id FROM outreach.fn_safety_gate_check(%s, 'NO-SUCH-CAMPAIGN', 'x')",
                           (cid,)).fetchone()[0]
    with pytest.raises(psycopg.Error) as e:
        conn.execute("SELECT outreach.fn_queue_send(%s, %s)", (blocked, seq))
    assert e.value.sqlstate == "OG008" and "ELIGIBILITY_CHECK_FAILED" in str(e.value)


def test_unregistered_company_changes_write_nothing(conn):
    cid = register_company(conn, prefix="OBX-NOSPINE")
    conn.execute("SELECT cl.fn_register_company(%s, 'x', 'x.example.com', 'INELIGIBLE')", (cid,))
    assert events(conn, cid) == []


# ------------------------------------------------------------------ every type, in its change's transaction
def _sent(conn, delays=(0, 3)):
    """A tier-1 company, a campaign with `delays`, and a committed send of its first step."""
    cid = make_company(conn, tier=1, prefix="OBX-TX")
    camp = create_campaign(conn, new_id("OBX-CMP"), delays=delays)
    return cid, camp, send(conn, cid, camp, step_id(conn, camp, 1))


def _engagement(kind):
    def change(conn):
        cid, _camp, send_id = _sent(conn)
        return cid, lambda: engage(conn, send_id, kind)
    return change


def _queue(conn):
    cid = make_company(conn, tier=1, prefix="OBX-TX")
    camp = create_campaign(conn, new_id("OBX-CMP"))
    audit_id = conn.execute("SELECT audit_id FROM outreach.fn_safety_gate_check(%s, %s, 'tx')", (cid, camp)).fetchone()[0]
    return cid, lambda: conn.execute("SELECT outreach.fn_queue_send(%s, %s)", (audit_id, step_id(conn, camp, 1)))


def _last_step_send(conn):
    cid = make_company(conn, tier=1, prefix="OBX-TX")
    camp = create_campaign(conn, new_id("OBX-CMP"), delays=(0,))
    return cid, lambda: send(conn, cid, camp, step_id(conn, camp, 1))


def _tier_one(action):
    def change(conn):
        cid = make_company(conn, tier=1, prefix="OBX-TX")
        return cid, lambda: action(conn, cid)
    return change


#: change -> (its setup, returning (company, the change), the events it writes)
CHANGES = {
    "hub status": (_tier_one(lambda c, cid: c.execute(
        "SELECT outreach.fn_set_hub_status(%s, 'dol-filings', 'FAIL', 'no filing')", (cid,))),
        {("cl", "TIER_CHANGED")}),
    "override": (_tier_one(lambda c, cid: override(c, cid, "FORCE_TIER", 0)), {("cl", "TIER_CHANGED")}),
    "cl eligibility": (_tier_one(lambda c, cid: c.execute(
        "SELECT cl.fn_register_company(%s, 'Renamed', 'renamed.example.com', 'INELIGIBLE')", (cid,))),
        {("cl", "TIER_CHANGED")}),
    "operator opt-out": (_tier_one(lambda c, cid: c.execute(
        "SELECT outreach.fn_set_outreach_status(%s, 'opted_out', 'asked by phone')", (target_of(c, cid)[0],))),
        {("cl", "UNSUBSCRIBED")}),
    "send of the last step": (_last_step_send,
                              {("sender", "SEND_REQUESTED"), ("analytics", "SEND"), ("cl", "EXHAUSTED")}),
    "queued request": (_queue, {("sender", "SEND_REQUESTED")}),
    "OPEN": (_engagement("OPEN"), {("analytics", "OPEN")}),
    "CLICK": (_engagement("CLICK"), {("analytics", "CLICK")}),
    "REPLY": (_engagement("REPLY"), {("analytics", "REPLY"), ("cl", "REPLIED")}),
    "BOUNCE": (_engagement("BOUNCE"), {("analytics", "BOUNCE"), ("cl", "BOUNCED")}),
    "UNSUBSCRIBE": (_engagement("UNSUBSCRIBE"), {("analytics", "UNSUBSCRIBE"), ("cl", "UNSUBSCRIBED")}),
}


@pytest.mark.parametrize("change", CHANGES)
def test_each_change_writes_its_events_in_its_own_transaction_and_a_rollback_none(conn, change):
    setup, expected = CHANGES[change]
    cid, do = setup(conn)
    n = len(events(conn, cid))
    with pytest.raises(RuntimeError):
        with conn.transaction():
            do()
            assert {(d, t) for d, t, _p in events(conn, cid)[n:]} == expected
            raise RuntimeError("roll back")
    assert len(events(conn, cid)) == n
    do()                                                  # committed: the same events, for good
    assert {(d, t) for d, t, _p in events(conn, cid)[n:]} == expected


def test_the_changes_above_cover_every_event_type(conn):
    covered = set().union(*(expected for _setup, expected in CHANGES.values()))
    assert covered == set(payload_keys(conn))


# ------------------------------------------------------------------ NOTIFY
def test_one_notification_per_destination_at_commit_none_on_rollback(conn, new_conn):
    listener = new_conn()
    listener.execute("LISTEN outreach_outbox_cl")
    listener.execute("LISTEN outreach_outbox_analytics")
    ids = [make_company(conn, tier=2, prefix="OBX-NTF", set_statuses=False) for _ in range(3)]
    list(listener.notifies(timeout=0.5))                      # what building them announced
    with pytest.raises(RuntimeError):
        with conn.transaction():
            conn.execute("SELECT outreach.fn_evaluate_hub_statuses()")
            raise RuntimeError("roll back")
    assert list(listener.notifies(timeout=0.5)) == []
    conn.execute("SELECT outreach.fn_evaluate_hub_statuses()")   # several statements, three companies
    got = [n.channel for n in listener.notifies(timeout=1.0)]
    assert got == ["outreach_outbox_cl"]
    assert all(len(tiers(conn, c)) == 2 for c in ids)


def _send_listener(conn, new_conn):
    """A connection listening on the send path's channels (drained), a company and a campaign to send."""
    listener = new_conn()
    listener.execute("LISTEN outreach_outbox_sender")
    listener.execute("LISTEN outreach_outbox_analytics")
    cid = make_company(conn, tier=1, prefix="OBX-WAKE")
    camp = create_campaign(conn, new_id("OBX-CMP"), delays=(0, 3))
    list(listener.notifies(timeout=0.5))                      # what building them announced
    return listener, cid, camp


def test_execute_send_notifies_after_its_commit_once_per_destination(conn, new_conn):
    from pyctl.outreach import execute_send

    listener, cid, camp = _send_listener(conn, new_conn)
    # the send transaction defers its NOTIFY (see the next test); execute_send
    # sends it right after the commit: one per destination it wrote events for
    execute_send(new_conn(), cid, camp, step_id(conn, camp, 1), lambda **_kw: None)
    got = sorted(n.channel for n in listener.notifies(timeout=1.0))
    assert got == ["outreach_outbox_analytics", "outreach_outbox_sender"]


def test_execute_send_wakes_nobody_before_its_commit_nor_for_a_failed_send(conn, new_conn):
    from pyctl.outreach import execute_send

    listener, cid, camp = _send_listener(conn, new_conn)
    sender = new_conn()
    heard_during_the_send = []

    def perform_send(**kw):                                   # inside the send transaction
        heard_during_the_send.extend(listener.notifies(timeout=0.3))
        raise RuntimeError("the provider failed")

    with pytest.raises(RuntimeError):
        execute_send(sender, cid, camp, step_id(conn, camp, 1), perform_send)
    assert heard_during_the_send == []
    assert list(listener.notifies(timeout=0.5)) == []         # rolled back: no event, no wake-up
    assert events(conn, cid, "sender") == []

    def check_before_commit(**kw):
        heard_during_the_send.extend(listener.notifies(timeout=0.3))

    execute_send(sender, cid, camp, step_id(conn, camp, 1), check_before_commit)
    assert heard_during_the_send == []
    # woken after the commit: a claim made on the wake-up finds the events
    assert sorted(n.channel for n in listener.notifies(timeout=1.0)) == ["outreach_outbox_analytics",
                                                                          "outreach_outbox_sender"]
    assert listener.execute("SELECT count(*) FROM outreach.outbox_events WHERE company_unique_id = %s"
                            " AND event_type IN ('SEND', 'SEND_REQUESTED')", (cid,)).fetchone()[0] == 2


def test_a_send_recorded_in_sql_without_execute_send_notifies_at_its_own_commit(conn, new_conn):
    listener, cid, camp = _send_listener(conn, new_conn)
    with conn.transaction():
        send(conn, cid, camp, step_id(conn, camp, 1))        # no outreach.outbox_wake: today's NOTIFY
        assert list(listener.notifies(timeout=0.3)) == []     # delivered at the commit, not before
    assert sorted(n.channel for n in listener.notifies(timeout=1.0)) == ["outreach_outbox_analytics",
                                                                          "outreach_outbox_sender"]


def test_a_wake_commits_without_waiting_for_the_flush_only_on_its_own(conn):
    with conn.transaction():
        conn.execute("SELECT outreach.fn_outbox_wake('1'::xid8)")
        assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "off"
    with conn.transaction():
        conn.execute("SELECT pg_current_xact_id()")            # the transaction wrote before it woke
        conn.execute("SELECT outreach.fn_outbox_wake('1'::xid8)")
        assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
    assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"


def test_a_deferred_notify_comes_only_from_the_wake_of_a_committed_transaction(conn, new_conn):
    listener, cid, camp = _send_listener(conn, new_conn)
    with conn.transaction():
        conn.execute("SELECT set_config('outreach.outbox_wake', 'after_commit', true)")
        send(conn, cid, camp, step_id(conn, camp, 1))
        (tx,) = conn.execute("SELECT pg_current_xact_id()::text").fetchone()
    assert list(listener.notifies(timeout=0.5)) == []         # deferred: the commit notified nobody
    assert conn.execute("SELECT outreach.fn_outbox_wake(%s::xid8)", (tx,)).fetchone()[0] == 2
    assert sorted(n.channel for n in listener.notifies(timeout=1.0)) == ["outreach_outbox_analytics",
                                                                          "outreach_outbox_sender"]
    # a transaction without events (or not committed yet) wakes nobody
    (other,) = conn.execute("SELECT (pg_current_xact_id()::text::bigint + 1000)::text").fetchone()
    assert conn.execute("SELECT outreach.fn_outbox_wake(%s::xid8)", (other,)).fetchone()[0] == 0
    assert list(listener.notifies(timeout=0.5)) == []
    with pytest.raises(psycopg.Error) as e:
        conn.execute("SELECT outreach.fn_outbox_wake(NULL)")
    assert e.value.sqlstate == "22004"


@pytest.mark.parametrize("role, sqlstate", [("outreach_sender", None), ("outreach_consumer", "42501"),
                                            ("outreach_reader", "42501")])
def test_only_a_sender_may_wake_the_consumers(conn, role, sqlstate):
    with conn.transaction():
        conn.execute(f"SET LOCAL ROLE {role}")
        if sqlstate is None:
            assert conn.execute("SELECT outreach.fn_outbox_wake('1'::xid8)").fetchone()[0] == 0
            return
        with pytest.raises(psycopg.Error) as e:
            with conn.transaction():
                conn.execute("SELECT outreach.fn_outbox_wake('1'::xid8)")
        assert e.value.sqlstate == sqlstate


def test_a_sender_wakes_exactly_the_written_destinations_and_reads_no_event(conn, new_conn):
    # fn_outbox_wake runs as its owner (SECURITY DEFINER, search_path pinned):
    # outreach_sender wakes the channels of the destinations a send wrote
    # (sender and analytics), each once, and still cannot read the events
    assert conn.execute("SELECT prosecdef, proconfig FROM pg_proc"
                        " WHERE oid = 'outreach.fn_outbox_wake(xid8)'::regprocedure").fetchone() == (
        True, ["search_path=pg_catalog, pg_temp"])
    for table in ("outbox_events", "outbox_destinations"):
        assert not conn.execute("SELECT has_any_column_privilege('outreach_sender', %s, 'SELECT')",
                                (f"outreach.{table}",)).fetchone()[0]
    listener, cid, camp = _send_listener(conn, new_conn)
    with conn.transaction():
        conn.execute("SELECT set_config('outreach.outbox_wake', 'after_commit', true)")
        send(conn, cid, camp, step_id(conn, camp, 1))
        (tx,) = conn.execute("SELECT pg_current_xact_id()::text").fetchone()
    assert list(listener.notifies(timeout=0.3)) == []
    with conn.transaction():
        conn.execute("SET LOCAL ROLE outreach_sender")
        assert conn.execute("SELECT outreach.fn_outbox_wake(%s::xid8)", (tx,)).fetchone()[0] == 2
        with pytest.raises(psycopg.Error) as e:
            with conn.transaction():
                conn.execute("SELECT count(*) FROM outreach.outbox_events")
        assert e.value.sqlstate == "42501"
    assert sorted(n.channel for n in listener.notifies(timeout=1.0)) == ["outreach_outbox_analytics",
                                                                          "outreach_outbox_sender"]


# ------------------------------------------------------------------ one NOTIFY rule, a wake-up in the COMMIT's message
def test_every_notify_of_the_outbox_reads_the_channel_from_its_destination(conn, new_conn):
    # a destination's channel lives in outbox_destinations only: the events
    # trigger (at a commit, through outreach._outbox_notify) and
    # fn_outbox_wake (after one, in its own statement) both read it there, so
    # a channel moved in outbox_destinations moves for both
    listener, cid, camp = _send_listener(conn, new_conn)
    listener.execute("LISTEN outbox_test_moved")
    conn.execute("UPDATE outreach.outbox_destinations SET channel = 'outbox_test_moved' WHERE destination = 'sender'")
    try:
        send(conn, cid, camp, step_id(conn, camp, 1))                       # the trigger, at its commit
        assert sorted(n.channel for n in listener.notifies(timeout=1.0)) == ["outbox_test_moved",
                                                                              "outreach_outbox_analytics"]
        other = make_company(conn, tier=1, prefix="OBX-WAKE")
        list(listener.notifies(timeout=0.5))
        with conn.transaction():                                            # deferred: fn_outbox_wake
            conn.execute("SELECT set_config('outreach.outbox_wake', 'after_commit', true)")
            send(conn, other, camp, step_id(conn, camp, 1))
            (tx,) = conn.execute("SELECT pg_current_xact_id()::text").fetchone()
        assert list(listener.notifies(timeout=0.3)) == []
        assert conn.execute("SELECT outreach.fn_outbox_wake(%s::xid8)", (tx,)).fetchone()[0] == 2
        assert sorted(n.channel for n in listener.notifies(timeout=1.0)) == ["outbox_test_moved",
                                                                              "outreach_outbox_analytics"]
    finally:
        conn.execute("UPDATE outreach.outbox_destinations SET channel = 'outreach_outbox_sender'"
                     " WHERE destination = 'sender'")


def test_the_notify_helper_wakes_each_named_destination_once(conn, new_conn):
    # the channel comes from outbox_destinations (cl's is moved here, so a
    # channel spelled from the destination's name is caught), each known
    # destination is notified once however often it is named, an unknown or
    # NULL one not at all, and the count says how many channels were notified
    listener = new_conn()
    for channel in ("outbox_test_cl_moved", "outreach_outbox_cl", "outreach_outbox_sender",
                    "outreach_outbox_analytics", "outreach_outbox_nowhere"):
        listener.execute(f"LISTEN {channel}")
    list(listener.notifies(timeout=0.3))
    conn.execute("UPDATE outreach.outbox_destinations SET channel = 'outbox_test_cl_moved' WHERE destination = 'cl'")
    try:
        assert conn.execute("SELECT outreach._outbox_notify(ARRAY['cl', 'cl', 'nowhere', NULL])").fetchone()[0] == 1
        assert [(n.channel, n.payload) for n in listener.notifies(timeout=1.0)] == [("outbox_test_cl_moved", "")]
        assert conn.execute("SELECT outreach._outbox_notify(ARRAY['analytics', 'cl', 'analytics'])").fetchone()[0] == 2
        assert sorted(n.channel for n in listener.notifies(timeout=1.0)) == ["outbox_test_cl_moved",
                                                                              "outreach_outbox_analytics"]
        assert conn.execute("SELECT outreach._outbox_notify('{}')").fetchone()[0] == 0
        assert list(listener.notifies(timeout=0.3)) == []
    finally:
        conn.execute("UPDATE outreach.outbox_destinations SET channel = 'outreach_outbox_cl' WHERE destination = 'cl'")
    # internal: not for the roles that may wake or consume
    for role in ("outreach_sender", "outreach_consumer"):
        with pytest.raises(psycopg.Error) as e:
            with conn.transaction():
                conn.execute(f"SET LOCAL ROLE {role}")
                conn.execute("SELECT outreach._outbox_notify(ARRAY['cl'])")
        assert e.value.sqlstate == "42501"


def test_a_listening_consumer_is_woken_by_execute_send_before_it_returns(conn, new_conn):
    import time

    from pyctl.outreach import execute_send

    listener, cid, camp = _send_listener(conn, new_conn)
    execute_send(new_conn(), cid, camp, step_id(conn, camp, 1), lambda **_kw: None)
    t0 = time.monotonic()
    # the wake-up travels with the COMMIT: it was sent when execute_send returned
    got = sorted(n.channel for n in listener.notifies(timeout=0.25, stop_after=2))
    assert got == ["outreach_outbox_analytics", "outreach_outbox_sender"]
    assert time.monotonic() - t0 < 0.25


@pytest.mark.parametrize("autocommit", [True, False])
def test_execute_send_without_a_wake_up_records_the_same_and_notifies_nobody(conn, new_conn, autocommit):
    from psycopg import pq

    from pyctl.outreach import execute_send

    listener, cid, camp = _send_listener(conn, new_conn)
    sender = new_conn(autocommit=autocommit)
    send_id = execute_send(sender, cid, camp, step_id(conn, camp, 1), lambda **_kw: None, wake=False)
    assert sender.info.transaction_status == pq.TransactionStatus.IDLE
    assert list(listener.notifies(timeout=0.5)) == []
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE send_id = %s", (send_id,)).fetchone()[0] == 1
    assert sorted(e[1] for e in events(conn, cid) if e[1] in ("SEND", "SEND_REQUESTED")) == ["SEND", "SEND_REQUESTED"]
    other = make_company(conn, tier=1, prefix="OBX-WAKE")
    list(listener.notifies(timeout=0.5))
    execute_send(sender, other, camp, step_id(conn, camp, 1), lambda **_kw: None)   # and with it, on either kind
    assert sender.info.transaction_status == pq.TransactionStatus.IDLE
    assert sorted(n.channel for n in listener.notifies(timeout=1.0)) == ["outreach_outbox_analytics",
                                                                          "outreach_outbox_sender"]


def test_a_wake_up_that_fails_after_the_commit_leaves_the_send_recorded(conn, new_conn, request):
    from pathlib import Path

    from pyctl.outreach import execute_send

    source = Path(request.config.rootpath, "functions/outreach/fn_outbox_wake.sql").read_text()
    listener, cid, camp = _send_listener(conn, new_conn)
    conn.execute("CREATE OR REPLACE FUNCTION outreach.fn_outbox_wake(p_tx xid8) RETURNS integer"
                 " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'wake-up broken' USING ERRCODE = 'XX000'; END $$")
    try:
        send_id = execute_send(new_conn(), cid, camp, step_id(conn, camp, 1), lambda **_kw: None)
    finally:
        conn.execute(source)
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE send_id = %s", (send_id,)).fetchone()[0] == 1
    assert list(listener.notifies(timeout=0.5)) == []           # left to the consumers' next claim


# ------------------------------------------------------------------ event types, checked without a lock
def test_an_event_of_an_unknown_type_is_refused_and_nothing_is_written(conn):
    before = conn.execute("SELECT count(*) FROM outreach.outbox_events").fetchone()[0]
    with pytest.raises(psycopg.Error) as e:
        conn.execute("INSERT INTO outreach.outbox_events (destination, event_type, company_unique_id, payload,"
                     " occurred_at) VALUES ('cl', 'REPLIED', 'OBX-T', '{}', now()), ('cl', 'NO_SUCH', 'OBX-T', '{}',"
                     " now())")
    assert e.value.sqlstate == "23503"
    assert "('cl', 'NO_SUCH')" in e.value.diag.message_primary
    with pytest.raises(psycopg.Error) as e:
        conn.execute("INSERT INTO outreach.outbox_events (destination, event_type, company_unique_id, payload,"
                     " occurred_at) VALUES ('nowhere', 'REPLIED', 'OBX-T', '{}', now())")
    assert e.value.sqlstate == "23503"
    assert conn.execute("SELECT count(*) FROM outreach.outbox_events").fetchone()[0] == before


INSERT_EVENT = ("INSERT INTO outreach.outbox_events (destination, event_type, company_unique_id, payload, occurred_at)"
                " VALUES (%s, %s, 'OBX-T', '{}', now())")


@pytest.mark.parametrize("destination, event_type, shown", [
    ("cl", "", "('cl', '')"), ("cl", " ", "('cl', ' ')"), ("cl", "replied", "('cl', 'replied')"),
    ("analytics", "REPLIED", "('analytics', 'REPLIED')")])
def test_a_blank_or_unlisted_type_is_refused_with_the_same_error(conn, destination, event_type, shown):
    with pytest.raises(psycopg.Error) as e:
        with conn.transaction():
            conn.execute(INSERT_EVENT, (destination, event_type))
    assert e.value.sqlstate == "23503"
    assert e.value.diag.message_primary == f"outbox event type {shown} is not in outreach.outbox_event_types"
    assert e.value.diag.message_hint == ("Write an event of a listed type, or add the type to"
                                         " outreach.outbox_event_types first.")


def test_the_type_list_names_a_null_and_an_event_type_cannot_be_null(conn):
    with pytest.raises(psycopg.Error) as e:
        with conn.transaction():
            conn.execute("SELECT outreach._outbox_event_type_listed('cl', NULL)")
    assert e.value.sqlstate == "23503" and "('cl', NULL)" in e.value.diag.message_primary
    with pytest.raises(psycopg.Error) as e:
        with conn.transaction():
            conn.execute(INSERT_EVENT, ("cl", None))
    assert e.value.sqlstate == "23502"


def test_a_type_added_is_accepted_by_the_next_insert_of_the_same_transaction(conn):
    with conn.transaction(force_rollback=True):
        with pytest.raises(psycopg.Error) as e:
            with conn.transaction():
                conn.execute(INSERT_EVENT, ("cl", "OBX_FRESH_TYPE"))
        assert e.value.sqlstate == "23503"
        conn.execute("INSERT INTO outreach.outbox_event_types (destination, event_type, description, payload_keys)"
                     " VALUES ('cl', 'OBX_FRESH_TYPE', 'test', '{}')")
        assert conn.execute(INSERT_EVENT, ("cl", "OBX_FRESH_TYPE")).rowcount == 1
        assert conn.execute("SELECT count(*) FROM outreach.outbox_events WHERE event_type = 'OBX_FRESH_TYPE'"
                            ).fetchone()[0] == 1
    # rolled back with the type: the list is the table's again
    with pytest.raises(psycopg.Error) as e:
        with conn.transaction():
            conn.execute(INSERT_EVENT, ("cl", "OBX_FRESH_TYPE"))
    assert e.value.sqlstate == "23503"


def _listed_pairs(conn) -> set[tuple[str, str]]:
    import re
    body = conn.execute("SELECT prosrc FROM pg_proc"
                        " WHERE oid = 'outreach._outbox_event_type_listed(text, text)'::regprocedure").fetchone()[0]
    return {(d, t) for d, types in re.findall(r"WHEN '([a-z_]+)' THEN '\{([A-Z_,]+)\}'::text\[\]", body)
            for t in types.split(",")}


def test_the_generated_type_list_is_the_table_and_cheap_to_call(conn):
    listed = set(conn.execute("SELECT destination, event_type FROM outreach.outbox_event_types").fetchall())
    assert len(listed) >= 12 and _listed_pairs(conn) == listed
    # called once per event: no SET clause (a GUC save and restore per call),
    # not SECURITY DEFINER, STABLE (no new snapshot per expression)
    assert conn.execute("SELECT l.lanname, p.provolatile, p.proconfig, p.prosecdef FROM pg_proc p"
                        " JOIN pg_language l ON l.oid = p.prolang"
                        " WHERE p.oid = 'outreach._outbox_event_type_listed(text, text)'::regprocedure"
                        ).fetchone() == ("plpgsql", "s", None, False)
    constraint = conn.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                              " WHERE conrelid = 'outreach.outbox_events'::regclass"
                              " AND conname = 'outbox_events_type_listed'").fetchone()[0]
    assert "_outbox_event_type_listed(destination, event_type)" in constraint, constraint


def test_the_generated_functions_are_written_by_one_helper(conn):
    # outreach._write_generated_function: the body a query returns becomes the
    # function, commented, with no EXECUTE for PUBLIC; a grant given between
    # two writes is kept (the hub totals' writer grants after it)
    fn, header = "public.gen_probe(p_x text)", "RETURNS text LANGUAGE sql IMMUTABLE"
    write = "SELECT outreach._write_generated_function(%s, %s, %s, %s)"
    try:
        conn.execute(write, (fn, header, "SELECT format('SELECT %L || p_x', string_agg(v, ',' ORDER BY v))"
                                         " FROM (VALUES ('b'), ('a')) t(v)", "probe one"))
        assert conn.execute("SELECT public.gen_probe('!')").fetchone()[0] == "a,b!"
        conn.execute("GRANT EXECUTE ON FUNCTION public.gen_probe(text) TO outreach_reader")
        conn.execute(write, (fn, header, "SELECT $b$SELECT 'c' || p_x$b$", "probe two"))
        assert conn.execute(
            "SELECT public.gen_probe('!'), obj_description('public.gen_probe(text)'::regprocedure, 'pg_proc'),"
            " has_function_privilege('public', 'public.gen_probe(text)', 'EXECUTE'),"
            " has_function_privilege('outreach_reader', 'public.gen_probe(text)', 'EXECUTE')"
        ).fetchone() == ("c!", "probe two", False, True)
        # a NULL body, or a query of more than one row, writes nothing
        for query, sqlstate in (("SELECT NULL::text", "22004"), ("SELECT 'SELECT 1' FROM generate_series(1, 2)", "P0003")):
            with pytest.raises(psycopg.Error) as e:
                with conn.transaction():
                    conn.execute(write, (fn, header, query, "probe three"))
            assert e.value.sqlstate == sqlstate
            assert conn.execute("SELECT public.gen_probe('!')").fetchone()[0] == "c!"
        with pytest.raises(psycopg.Error) as e:
            with conn.transaction():
                conn.execute(write, (fn, None, "SELECT 'SELECT 1'", "probe"))
        assert e.value.sqlstate == "22004"
    finally:
        conn.execute("DROP FUNCTION IF EXISTS public.gen_probe(text)")
    # internal: it runs the SQL it is given
    for role in ("outreach_sender", "outreach_consumer", "outreach_reader"):
        with pytest.raises(psycopg.Error) as e:
            with conn.transaction():
                conn.execute(f"SET LOCAL ROLE {role}")
                conn.execute(write, ("public.gen_probe()", "RETURNS int LANGUAGE sql", "SELECT 'SELECT 1'", "x"))
        assert e.value.sqlstate == "42501"


def test_the_send_path_statement_fires_no_outbox_events_trigger(conn):
    triggers = conn.execute("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger"
                            " WHERE tgrelid = 'outreach.outbox_events'::regclass AND NOT tgisinternal"
                            " AND tgtype & 4 <> 0").fetchall()     # the triggers on INSERT
    assert [t[0] for t in triggers] == ["trg_outbox_events_800_notify"]
    assert ("WHEN (outreach._outbox_notify_now())"
            in triggers[0][1]), triggers[0][1]
    with conn.transaction(force_rollback=True):
        # a trigger function that fails if called: the send path's statement still writes its events, typed
        conn.execute("SELECT set_config('shq.migrating', 'on', true)")
        conn.execute("CREATE OR REPLACE FUNCTION outreach.tg_outbox_events__after_insert() RETURNS trigger"
                     " LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'fired' USING ERRCODE = 'XX000'; END $$")
        conn.execute("SELECT set_config('outreach.outbox_wake', 'after_commit', true)")
        assert conn.execute(INSERT_EVENT + ", (%s, %s, 'OBX-T', '{}', now())",
                            ("analytics", "SEND", "sender", "SEND_REQUESTED")).rowcount == 2
        with pytest.raises(psycopg.Error) as e:
            with conn.transaction():
                conn.execute(INSERT_EVENT, ("analytics", "NO_SUCH"))
        assert e.value.sqlstate == "23503"
        conn.execute("SELECT set_config('outreach.outbox_wake', '', true)")
        with pytest.raises(psycopg.Error) as e:
            with conn.transaction():
                conn.execute(INSERT_EVENT, ("analytics", "SEND"))
        assert e.value.diag.message_primary == "fired"     # everyone else's statement: the trigger runs


def test_an_event_type_is_never_deleted_renamed_or_truncated(conn):
    # an event checks its type without locking it: so no type may go, whether
    # events of it exist or not; a new type and a new description may come
    statements = ["DELETE FROM outreach.outbox_event_types WHERE event_type = 'OBX_TEST_TYPE'",
                  "DELETE FROM outreach.outbox_event_types WHERE event_type = 'REPLIED'",
                  "UPDATE outreach.outbox_event_types SET event_type = 'OBX_RENAMED' WHERE event_type = 'OBX_TEST_TYPE'",
                  "UPDATE outreach.outbox_event_types SET destination = 'analytics' WHERE event_type = 'OBX_TEST_TYPE'",
                  "TRUNCATE outreach.outbox_event_types CASCADE"]
    with conn.transaction(force_rollback=True):
        conn.execute("INSERT INTO outreach.outbox_event_types (destination, event_type, description, payload_keys)"
                     " VALUES ('cl', 'OBX_TEST_TYPE', 'test', '{}')")
        for sql in statements:
            with pytest.raises(psycopg.Error) as e:
                with conn.transaction():
                    conn.execute(sql)
            assert e.value.sqlstate == "23503", sql
        assert conn.execute("SELECT count(*) FROM outreach.outbox_event_types WHERE event_type IN"
                            " ('OBX_TEST_TYPE', 'REPLIED')").fetchone()[0] == 2
        assert conn.execute("UPDATE outreach.outbox_event_types SET description = 'test, described'"
                            " WHERE event_type = 'OBX_TEST_TYPE'").rowcount == 1


def test_the_send_transaction_prepares_nothing_a_pooler_could_hand_on(conn, new_conn):
    # psycopg prepares a statement run five times on a connection unless told
    # not to; a prepared statement is session state a transaction-mode pooler
    # would hand to another client, so the hand-made BEGIN and COMMIT are never prepared
    from pyctl.outreach import execute_send

    camp = create_campaign(conn, new_id("OBX-CMP"), delays=(0, 3))
    sender = new_conn()
    for wake in (True, False):
        for _ in range(6):
            cid = make_company(conn, tier=1, prefix="OBX-PREP")
            execute_send(sender, cid, camp, step_id(conn, camp, 1), lambda **_kw: None, wake=wake)
    assert sender.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0] == 0
