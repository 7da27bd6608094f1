"""The send loop done right (SPEC §6; seed 004 "Integration"): every send goes
through the marketing safety gate, and only a send that happened is logged.

    send_id = execute_send(conn, company_unique_id, campaign_id, sequence_id, perform_send)

1. The gate: pyctl.gate.MarketingSafetyGate(conn).check_eligibility_or_fail(...)
   writes and COMMITS one outreach.send_attempt_audit row, blocked or not.
   On a block it raises the mapped MarketingSafetyGateError subclass
   (IneligibleTierError, MarketingDisabledError, BlockingOverrideError,
   CampaignNotActiveError, EligibilityCheckFailedError) and perform_send is
   never called.
2. The provider: perform_send(company_unique_id=, campaign_id=, sequence_id=,
   audit_id=, correlation_id=, channel=, target_id=, person_id=) — keyword
   arguments only; its return value is ignored. If it raises, nothing is
   logged and the exception propagates; the committed audit row still shows
   the attempt (a passing verdict that no send_log row uses).
3. The record: INSERT INTO outreach.send_log with the gate's audit_id, in its
   own committed transaction; returns the send_id. The send_log trigger then
   moves the target's outreach_status (queued -> active -> exhausted).

No transaction is open while perform_send runs. From just before the gate
check until the send_log row is committed, execute_send holds the company's
kill-switch lock in SHARED mode (the session-level form of the advisory lock
that fn_safety_gate_check and the send_log guard take, and that
set/remove_marketing_override take exclusively): a kill-switch change for that
company waits for the sends to it that are in flight, and then applies to
every later gate check. Without it a change committed while the provider was
sending would void the verdict (OG008) after the provider had sent: a real
send with no record. The price: a kill-switch change for one company can wait
as long as a provider call to that company takes.

The gate's pass is valid for 15 minutes (OG008): a provider slower than that
gets SendNotRecordedError (the send happened, the log refused it) and the
operator must reconcile; so does a target that opts out (UNSUBSCRIBE) while
its send is in flight.

Threads: each call uses its own short transactions on `conn`, so calls are
safe from many threads as long as each thread has its OWN connection (a
psycopg connection is not a unit of concurrency: two threads' transactions
on one connection would interleave). Calls that share a connection anyway
are serialised by a per-connection lock, which is correct but not parallel.
`conn` must be idle (no transaction in progress): the gate commits, and it
must not commit a caller's unrelated work.
"""
from __future__ import annotations

import threading
import uuid
import weakref
from typing import Any, Callable

import psycopg
from psycopg import pq

from pyctl.errors import PyctlError, format_db_error

LOOKUP_SQL = """
SELECT (SELECT c.channel FROM outreach.campaigns c WHERE c.campaign_id = %(campaign)s) AS channel,
       (SELECT true FROM outreach.sequences s
         WHERE s.campaign_id = %(campaign)s AND s.sequence_id = %(sequence)s) AS step_ok
"""

TARGET_SQL = """
SELECT t.target_id, t.outreach_id FROM outreach.company_target t WHERE t.company_unique_id = %s
"""

LOCK_SQL = "SELECT pg_advisory_lock_shared(%s, hashtext(%s))"
UNLOCK_SQL = "SELECT pg_advisory_unlock_shared(%s, hashtext(%s))"

INSERT_SQL = """
INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, sequence_id,
                               person_id, channel, gate_audit_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
RETURNING send_id
"""


class SendError(PyctlError):
    """execute_send refused before the provider was called (nothing was sent)."""


class SendNotRecordedError(SendError):
    """The provider sent, but outreach.send_log refused the record (e.g. the
    gate pass expired: OG008). The send happened; reconcile by hand."""

    def __init__(self, message: str, audit_id: Any = None):
        super().__init__(message)
        self.audit_id = audit_id


#: the kill switch's per-company advisory lock: (KILL_SWITCH_LOCK_CLASS, hashtext(company_unique_id)),
#: as in outreach.fn_safety_gate_check, tg_send_log__before_insert and set/remove_marketing_override
KILL_SWITCH_LOCK_CLASS = 1330053125

_locks_guard = threading.Lock()
_conn_locks: "weakref.WeakKeyDictionary[psycopg.Connection, threading.RLock]" = weakref.WeakKeyDictionary()


def _lock_for(conn: psycopg.Connection) -> threading.RLock:
    with _locks_guard:
        lock = _conn_locks.get(conn)
        if lock is None:
            lock = _conn_locks[conn] = threading.RLock()
        return lock


def _field(result: Any, name: str) -> Any:
    """A field of the gate's result (attribute or mapping)."""
    if isinstance(result, dict):
        return result[name]
    return getattr(result, name)


def execute_send(conn: psycopg.Connection, company_unique_id: str, campaign_id: str, sequence_id: int | None,
                 perform_send: Callable[..., Any], *, correlation_id: str | None = None,
                 person_id: str | None = None) -> int:
    """Gate check (committed), then perform_send, then the send_log row with
    the gate's audit_id (committed). Returns the send_id. See the module doc."""
    if not callable(perform_send):
        raise SendError("perform_send must be callable")
    correlation_id = correlation_id or f"send-{uuid.uuid4()}"
    with _lock_for(conn):
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            raise SendError("execute_send needs an idle connection (commit or roll back first): "
                            "the safety gate commits its audit row")

        # The campaign's channel (the gate refuses any other) and, when a step
        # is named, that it is a step of this campaign: a caller's mistake, so
        # refused before the gate and before anything is written.
        with conn.transaction():
            channel, step_ok = conn.execute(LOOKUP_SQL, {"campaign": campaign_id, "sequence": sequence_id}).fetchone()
        if channel is not None and sequence_id is not None and not step_ok:
            raise SendError(f"sequence_id {sequence_id} is not a step of campaign {campaign_id}; nothing sent")

        locked = isinstance(company_unique_id, str) and bool(company_unique_id.strip())
        if locked:
            with conn.transaction():
                conn.execute(LOCK_SQL, (KILL_SWITCH_LOCK_CLASS, company_unique_id))
        try:
            return _gate_send_record(conn, company_unique_id, campaign_id, sequence_id, perform_send,
                                     correlation_id, person_id, channel)
        finally:
            if locked and not conn.closed:
                try:
                    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
                        conn.rollback()
                    with conn.transaction():
                        conn.execute(UNLOCK_SQL, (KILL_SWITCH_LOCK_CLASS, company_unique_id))
                except psycopg.Error:
                    pass  # a broken connection: its session's locks go when it closes


def _gate_send_record(conn, company_unique_id, campaign_id, sequence_id, perform_send, correlation_id, person_id,
                      channel) -> int:
    from pyctl.gate import MarketingSafetyGate

    # 1. the gate: audited and committed, blocked or not; raises on a block.
    #    An unknown campaign reaches the gate too (EligibilityCheckFailedError).
    result = MarketingSafetyGate(conn).check_eligibility_or_fail(
        company_unique_id, campaign_id, correlation_id, channel=channel or "EMAIL")
    audit_id = _field(result, "audit_id")
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:  # never hold a transaction over the provider
        conn.commit()

    with conn.transaction():
        target = conn.execute(TARGET_SQL, (company_unique_id,)).fetchone()
    if target is None:
        raise SendError(f"company {company_unique_id} has no Company Target: nothing sent "
                        f"(gate audit {audit_id} passed but is unused)")
    target_id, outreach_id = target

    # 2. the provider; if it raises, nothing is logged.
    perform_send(company_unique_id=company_unique_id, campaign_id=campaign_id, sequence_id=sequence_id,
                 audit_id=audit_id, correlation_id=correlation_id, channel=channel, target_id=target_id,
                 person_id=person_id)

    # 3. the record, with the gate's audit id (OG008 checks it).
    try:
        with conn.transaction():
            send_id = conn.execute(INSERT_SQL, (outreach_id, company_unique_id, target_id, campaign_id,
                                                sequence_id, person_id, channel, audit_id)).fetchone()[0]
    except psycopg.Error as e:
        raise SendNotRecordedError(
            f"company {company_unique_id}, campaign {campaign_id}: the provider sent but send_log refused "
            f"the record (gate audit {audit_id}): {format_db_error(e)}", audit_id=audit_id) from e
    return send_id
