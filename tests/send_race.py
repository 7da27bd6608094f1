"""Senders racing a kill-switch flipper (tests of execute_send, direct and
through a pooler): run the race, then check that no send was unsafe."""
from __future__ import annotations

import random
import threading
import time

import psycopg

from pyctl.gate import MarketingSafetyGateError
from pyctl.outreach import SendError, execute_send


class Provider:
    """A fake email provider: records every call; fails when told to."""

    def __init__(self, fail: Exception | None = None, during=None, pause: float = 0.0):
        self.calls: list[dict] = []
        self.fail = fail
        self.during = during
        self.pause = pause
        self.lock = threading.Lock()

    def __call__(self, **kwargs):
        with self.lock:
            self.calls.append(kwargs)
        if self.during:
            self.during(kwargs)
        if self.pause:
            time.sleep(self.pause)
        if self.fail:
            raise self.fail
        return f"msg-{kwargs['audit_id']}"


def senders_racing_a_flipper(senders: list[psycopg.Connection], admin: psycopg.Connection, companies: list[str], flipped: list[str],
         campaign: str, sequence_id: int, provider: Provider, seconds: float) -> dict:
    """Each sender sends to random companies while `admin` sets and removes
    BLOCK_OUTREACH/BLOCK_EMAIL on `flipped`, each change in a transaction
    with a 5 s lock_timeout (a change that hangs shows up as 55P03).
    Returns {"outcomes": [(kind, company, audit_id)], "errors", "flips", "hung"}
    with kind "sent", "blocked" (the gate said no) or "refused" (every verdict
    voided before its send: SendError OG008, nothing sent)."""
    stop = threading.Event()
    errors: list[str] = []
    outcomes: list[tuple[str, str, object]] = []
    lock = threading.Lock()
    flips = [0]

    def send_loop(k: int, c: psycopg.Connection) -> None:
        rnd = random.Random(k)
        try:
            while not stop.is_set():
                cid = rnd.choice(companies)
                try:
                    execute_send(c, cid, campaign, sequence_id, provider, correlation_id=f"race-{k}")
                    kind, aid = "sent", None
                except MarketingSafetyGateError as e:
                    kind, aid = "blocked", e.audit_id
                except SendError as e:
                    if e.sqlstate != "OG008":
                        raise
                    kind, aid = "refused", e.audit_id
                with lock:
                    outcomes.append((kind, cid, aid))
        except Exception as e:  # noqa: BLE001 - reported by the caller
            errors.append(f"sender {k}: {type(e).__name__}: {e}")

    def flip_loop() -> None:
        rnd = random.Random(99)
        try:
            while not stop.is_set():
                cid, otype = rnd.choice(flipped), rnd.choice(["BLOCK_OUTREACH", "BLOCK_EMAIL"])
                for fn in ("set_marketing_override", "remove_marketing_override"):
                    with admin.transaction():
                        admin.execute("SELECT set_config('lock_timeout', '5s', true)", prepare=False)
                        admin.execute(f"SELECT outreach.{fn}(%s, %s, 'flip', 'race')", (cid, otype), prepare=False)
                    flips[0] += 1
                    time.sleep(rnd.uniform(0.005, 0.03))
        except Exception as e:  # noqa: BLE001
            errors.append(f"flipper: {type(e).__name__}: {e}")

    threads = [threading.Thread(target=send_loop, args=(k, c)) for k, c in enumerate(senders)]
    threads.append(threading.Thread(target=flip_loop))
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join(60)
    return {"outcomes": outcomes, "errors": errors, "flips": flips[0], "hung": any(t.is_alive() for t in threads)}


def assert_every_send_was_safe(conn: psycopg.Connection, campaign: str, result: dict, provider: Provider,
                               flipped: list[str]) -> None:
    """Every provider call is recorded and only those; no send on a blocked
    verdict; no kill-switch change between a send's verdict and its record;
    no blocking override in force at a send's verdict; every block of the
    race was a kill-switch block that was in force then."""
    assert not result["hung"], "a thread hung"
    assert result["errors"] == []
    outcomes = result["outcomes"]
    sent = [o for o in outcomes if o[0] == "sent"]
    blocked = [o for o in outcomes if o[0] == "blocked"]
    refused = [o for o in outcomes if o[0] == "refused"]
    assert {o[1] for o in blocked + refused} <= set(flipped)
    assert len(refused) <= len(sent) / 20, (len(refused), len(sent))
    rows = conn.execute("SELECT s.gate_audit_id, a.was_blocked, a.is_dry_run FROM outreach.send_log s"
                        " JOIN outreach.send_attempt_audit a ON a.audit_id = s.gate_audit_id"
                        " WHERE s.campaign_id = %s", (campaign,)).fetchall()
    assert len(rows) == len(sent) == len(provider.calls)
    assert {r[0] for r in rows} == {c["audit_id"] for c in provider.calls}
    blocked_ids = {o[2] for o in blocked}
    assert blocked_ids.isdisjoint({r[0] for r in rows})
    assert all(not r[1] and not r[2] for r in rows)
    assert conn.execute("SELECT count(*) FROM outreach.send_attempt_audit WHERE audit_id = ANY(%s) AND NOT was_blocked",
                        (list(blocked_ids),)).fetchone()[0] == 0
    late = conn.execute("""
        SELECT count(*) FROM outreach.send_log s
          JOIN outreach.send_attempt_audit a ON a.audit_id = s.gate_audit_id
         WHERE s.campaign_id = %s
           AND EXISTS (SELECT 1 FROM outreach.override_audit_log l
                        WHERE l.company_unique_id = s.company_unique_id
                          AND l.occurred_at > a.attempt_timestamp AND l.occurred_at < s.sent_at)""",
                        (campaign,)).fetchone()[0]
    assert late == 0, "a kill-switch change fell between a verdict and its send"
    in_force = conn.execute("""
        SELECT count(*) FROM outreach.send_log s
          JOIN outreach.send_attempt_audit a ON a.audit_id = s.gate_audit_id
          JOIN outreach.manual_overrides mo ON mo.company_unique_id = s.company_unique_id
         WHERE s.campaign_id = %s AND mo.override_type IN ('BLOCK_OUTREACH', 'BLOCK_EMAIL')
           AND mo.created_at <= a.attempt_timestamp
           AND (mo.removed_at IS NULL OR mo.removed_at > a.attempt_timestamp)""", (campaign,)).fetchone()[0]
    assert in_force == 0, "a send went out while a blocking override was in force"
    reasons = conn.execute("""
        SELECT a.block_reason, bool_or(mo.override_id IS NOT NULL)
          FROM outreach.send_attempt_audit a
          LEFT JOIN outreach.manual_overrides mo
                 ON mo.company_unique_id = a.company_unique_id
                AND mo.override_type IN ('BLOCK_OUTREACH', 'BLOCK_EMAIL')
                AND mo.created_at <= a.attempt_timestamp
                AND (mo.removed_at IS NULL OR mo.removed_at > a.attempt_timestamp)
         WHERE a.audit_id = ANY(%s)
         GROUP BY a.audit_id, a.block_reason""", (list(blocked_ids),)).fetchall()
    assert {r[0] for r in reasons} <= {"MARKETING_DISABLED", "BLOCKING_OVERRIDE"}
    assert all(r[1] for r in reasons)
