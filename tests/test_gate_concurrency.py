"""The gate, the send log and the kill switch under concurrency, with real
commits (docs/reference/gate.md): 8 clients doing gate-and-send in a loop while another
client flips overrides; double use of one verdict; concurrent setters."""
from __future__ import annotations

import random
import threading
import time

import psycopg
import pytest
from psycopg.rows import dict_row

from pyctl import gate as G
from helpers import in_thread, make_company, race, waits_on_lock
from test_gate_python import make_campaign

CLIENTS = 8
SECONDS = 10.0


def _send(conn, cid, camp, audit_id, sent_at_sql="DEFAULT"):
    return conn.execute("INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id, sent_at)"
                        f" VALUES (%s, %s, 'EMAIL', %s, {sent_at_sql}) RETURNING send_id", (cid, camp, audit_id)).fetchone()[0]


def test_eight_senders_and_a_kill_switch_flipper(conn, new_conn):
    companies = [make_company(conn, prefix="CC") for _ in range(4)]
    camp = make_campaign(conn)
    stop = time.monotonic() + SECONDS
    stats = {"gate_calls": 0, "passes": 0, "sends": 0, "refused": 0, "flips": 0}
    lock = threading.Lock()
    errors: list[str] = []
    modes = ["autocommit", "autocommit-clock", "one-transaction", "python-class"]

    def sender(k):
        rnd = random.Random(k)
        mode = modes[k % len(modes)]
        c = new_conn(autocommit=(mode != "one-transaction"))
        gate = G.MarketingSafetyGate(c)
        calls = passes = sends = refused = 0
        try:
            while time.monotonic() < stop:
                cid = rnd.choice(companies)
                corr = f"cc-{k}-{calls}"
                if mode == "one-transaction":
                    # gate and send in one transaction: the shared lock is held to the commit
                    v = c.execute("SELECT audit_id, is_eligible FROM outreach.fn_safety_gate_check(%s, %s, %s)",
                                  (cid, camp, corr)).fetchone()
                    calls += 1
                    if v[1]:
                        passes += 1
                        _send(c, cid, camp, v[0])
                        sends += 1
                    c.commit()
                    continue
                if mode == "python-class":
                    calls += 1
                    try:
                        res = gate.check_eligibility_or_fail(cid, camp, corr)
                    except G.MarketingSafetyGateError as e:
                        assert e.audit_id is not None, e
                        continue
                    aid = res.audit_id
                else:
                    v = c.execute("SELECT audit_id, is_eligible FROM outreach.fn_safety_gate_check(%s, %s, %s)",
                                  (cid, camp, corr)).fetchone()
                    calls += 1
                    if not v[1]:
                        continue
                    aid = v[0]
                passes += 1
                if rnd.random() < 0.3:
                    time.sleep(rnd.random() / 100)   # the send happens a little later
                try:
                    _send(c, cid, camp, aid, "clock_timestamp()" if mode == "autocommit-clock" else "DEFAULT")
                    sends += 1
                except psycopg.Error as e:
                    if e.sqlstate != "OG008":
                        raise
                    refused += 1
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"client {k} ({mode}): {type(e).__name__}: {e}")
        with lock:
            stats["gate_calls"] += calls
            stats["passes"] += passes
            stats["sends"] += sends
            stats["refused"] += refused

    def flipper():
        rnd = random.Random(99)
        c = new_conn()
        flips = 0
        try:
            while time.monotonic() < stop:
                cid = rnd.choice(companies)
                otype = rnd.choice(["BLOCK_OUTREACH", "BLOCK_EMAIL", "BLOCK_PHONE", "FORCE_TIER"])
                cap = 0 if otype == "FORCE_TIER" else None
                G.set_override(c, cid, otype, "flip", "flipper", tier_cap=cap)
                time.sleep(rnd.random() / 50)
                G.remove_override(c, cid, otype, "flop", "flipper")
                flips += 2
                time.sleep(rnd.random() / 50)
        except Exception as e:  # noqa: BLE001
            errors.append(f"flipper: {type(e).__name__}: {e}")
        stats["flips"] = flips

    threads = [threading.Thread(target=sender, args=(k,)) for k in range(CLIENTS)] + [threading.Thread(target=flipper)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(SECONDS + 120)
    assert errors == [], errors
    assert stats["sends"] > 20 and stats["flips"] > 20, stats
    assert stats["passes"] > stats["sends"] or stats["refused"] == 0, stats

    h = conn.cursor(row_factory=dict_row)
    # one audit row per gate call
    n_audit = h.execute("SELECT count(*) AS n FROM outreach.send_attempt_audit WHERE correlation_id LIKE 'cc-%%'"
                        " AND company_unique_id = ANY(%s)", (companies,)).fetchone()["n"]
    assert n_audit == stats["gate_calls"], (n_audit, stats)
    assert h.execute("SELECT count(*) AS n FROM outreach.send_log WHERE campaign_id = %s", (camp,)).fetchone()["n"] == stats["sends"]

    # every send has a passing, non-dry-run verdict of its own company/campaign/channel, used once
    bad = h.execute("""
        SELECT s.send_id FROM outreach.send_log s
          LEFT JOIN outreach.send_attempt_audit a ON a.audit_id = s.gate_audit_id
         WHERE s.campaign_id = %s
           AND (a.audit_id IS NULL OR a.was_blocked OR a.is_dry_run OR a.company_unique_id <> s.company_unique_id
                OR a.campaign_id <> s.campaign_id OR a.channel <> s.channel)""", (camp,)).fetchall()
    assert bad == []

    # the verdict was taken after the last override change before the send
    stale = h.execute("""
        SELECT s.send_id, a.attempt_timestamp, s.sent_at, l.occurred_at, l.action, l.override_type
          FROM outreach.send_log s
          JOIN outreach.send_attempt_audit a ON a.audit_id = s.gate_audit_id
          JOIN outreach.override_audit_log l ON l.company_unique_id = s.company_unique_id
         WHERE s.campaign_id = %s
           AND l.occurred_at > a.attempt_timestamp AND l.occurred_at <= s.sent_at""", (camp,)).fetchall()
    assert stale == [], stale[:5]

    # zero sends (and zero passing verdicts) reached a company blocked at that moment, by the override history
    blocked_at = """
        EXISTS (SELECT 1 FROM outreach.manual_overrides mo
                 WHERE mo.company_unique_id = {t}.company_unique_id
                   AND (mo.override_type IN ('BLOCK_OUTREACH', 'BLOCK_EMAIL') OR (mo.override_type = 'FORCE_TIER' AND mo.tier_cap < 1))
                   AND mo.created_at <= {ts} AND (mo.removed_at IS NULL OR mo.removed_at > {ts}))"""
    sends_to_blocked = h.execute(
        "SELECT s.send_id, a.correlation_id FROM outreach.send_log s JOIN outreach.send_attempt_audit a ON a.audit_id = s.gate_audit_id"
        f" WHERE s.campaign_id = %s AND ({blocked_at.format(t='s', ts='s.sent_at')}"
        f"  OR {blocked_at.format(t='s', ts='a.attempt_timestamp')})", (camp,)).fetchall()
    assert sends_to_blocked == [], sends_to_blocked[:8]
    passes_to_blocked = h.execute(
        f"SELECT a.audit_id FROM outreach.send_attempt_audit a WHERE a.campaign_id = %s AND NOT a.was_blocked"
        f" AND {blocked_at.format(t='a', ts='a.attempt_timestamp')}", (camp,)).fetchall()
    assert passes_to_blocked == []
    # and no false blocks: each kill-switch verdict matches the history at its time
    false_blocks = h.execute(
        f"SELECT a.audit_id, a.block_reason FROM outreach.send_attempt_audit a WHERE a.campaign_id = %s"
        f" AND a.block_reason IN ('MARKETING_DISABLED', 'BLOCKING_OVERRIDE', 'TIER_BELOW_CAMPAIGN_MINIMUM')"
        f" AND NOT {blocked_at.format(t='a', ts='a.attempt_timestamp')}", (camp,)).fetchall()
    assert false_blocks == []


def test_one_verdict_raced_by_two_senders_clears_one_send(conn, new_conn):
    cid, camp = make_company(conn, prefix="CC"), make_campaign(conn)
    aid = G.check_eligibility(conn, cid, camp, "race").audit_id
    first, second = new_conn(autocommit=False), new_conn(autocommit=False)
    _send(first, cid, camp, aid)                      # holds the verdict, not yet committed
    t, out = in_thread(lambda: _send(second, cid, camp, aid))
    assert waits_on_lock(conn, second.info.backend_pid), "the second sender waits for the first"
    first.commit()
    t.join(30)
    second.rollback()
    assert getattr(out.get("error"), "sqlstate", None) == "OG008", out
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE gate_audit_id = %s", (aid,)).fetchone()[0] == 1


def test_a_kill_switch_change_waits_for_an_open_verdict_and_voids_it(conn, new_conn):
    """A setter waits for a gate transaction still open; the change is stamped
    after the verdict, so the verdict can no longer clear a send."""
    cid, camp = make_company(conn, prefix="CC"), make_campaign(conn)
    sender = new_conn(autocommit=False)
    aid, ok = sender.execute("SELECT audit_id, is_eligible FROM outreach.fn_safety_gate_check(%s, %s, 'open')",
                             (cid, camp)).fetchone()
    assert ok
    setter = new_conn()
    t, out = in_thread(lambda: G.set_override(setter, cid, "BLOCK_OUTREACH", "incident", "ops"))
    assert waits_on_lock(conn, setter.info.backend_pid), "the kill switch waits for the open verdict's transaction"
    sender.commit()
    t.join(30)
    assert "result" in out, out
    with pytest.raises(psycopg.Error) as ei:
        _send(sender, cid, camp, aid)
    sender.rollback()
    assert ei.value.sqlstate == "OG008"
    assert G.check_eligibility(conn, cid, camp, "after").block_reason == "MARKETING_DISABLED"


def test_concurrent_setters_of_one_type_leave_one_active_override(conn, new_conn):
    cid = make_company(conn, prefix="CC")
    n, each = 8, 15
    _results, errors = race(new_conn, n, lambda c: [
        G.set_override(c, cid, "BLOCK_EMAIL", f"setter {c.info.backend_pid} #{i}", f"setter-{c.info.backend_pid}")
        for i in range(each)])
    assert errors == []
    total = n * each
    rows = conn.execute("SELECT count(*), count(*) FILTER (WHERE removed_at IS NULL) FROM outreach.manual_overrides"
                        " WHERE company_unique_id = %s", (cid,)).fetchone()
    assert rows == (total, 1)
    actions = dict(conn.execute("SELECT action, count(*) FROM outreach.override_audit_log WHERE company_unique_id = %s"
                                " GROUP BY action", (cid,)).fetchall())
    assert actions == {"SET": 1, "REPLACE": total - 1, "REMOVE": total - 1}
    # every replaced row names its successor, which started when it ended
    broken = conn.execute("""
        SELECT o.override_id FROM outreach.manual_overrides o
          LEFT JOIN outreach.manual_overrides n ON 'replaced by ' || n.override_id::text = o.remove_reason
         WHERE o.company_unique_id = %s AND o.removed_at IS NOT NULL
           AND (n.override_id IS NULL OR n.created_at <> o.removed_at)""", (cid,)).fetchall()
    assert broken == []


def test_gate_and_send_a_plain_send_and_a_waiting_kill_switch_do_not_deadlock(conn, new_conn):
    """One lock order for every path: A holds a verdict open (gate and send in
    one transaction), C's kill-switch change queues behind it, B sends with an
    older verdict. B queues behind C on the kill-switch lock before touching
    the target, so A's send does not wait for B (with the target locked first,
    A would wait for B and only the deadlock detector's queue rearrangement,
    after deadlock_timeout, would untangle it); C's change lands, and B's
    now-stale verdict is refused."""
    cid, camp = make_company(conn, prefix="CC"), make_campaign(conn)
    b_verdict = G.check_eligibility(conn, cid, camp, "b").audit_id
    a, b, c = new_conn(autocommit=False), new_conn(), new_conn()
    a_verdict = a.execute("SELECT audit_id FROM outreach.fn_safety_gate_check(%s, %s, 'a')", (cid, camp)).fetchone()[0]
    out = {}

    def c_setter():
        try:
            G.set_override(c, cid, "BLOCK_PHONE", "change", "ops")
            out["c"] = "ok"
        except psycopg.Error as e:
            out["c"] = e.sqlstate

    def b_sender():
        try:
            _send(b, cid, camp, b_verdict)
            out["b"] = "ok"
        except psycopg.Error as e:
            out["b"] = e.sqlstate

    tc = threading.Thread(target=c_setter)
    tc.start()
    assert waits_on_lock(conn, c.info.backend_pid)      # C waits for A's shared lock
    tb = threading.Thread(target=b_sender)
    tb.start()
    assert waits_on_lock(conn, b.info.backend_pid)      # B waits too
    try:
        _send(a, cid, camp, a_verdict)                 # must not wait for B
        out["b_still_waiting_when_a_sent"] = "b" not in out
        a.commit()
        out["a"] = "ok"
    except psycopg.Error as e:
        out["a"] = e.sqlstate
        a.rollback()
    tc.join(30)
    tb.join(30)
    assert out == {"a": "ok", "c": "ok", "b": "OG008", "b_still_waiting_when_a_sent": True}, out
