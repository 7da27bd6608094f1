"""The send loop done right (docs/reference/gate.md): every send goes
through the marketing safety gate, and only a send that happened is logged.

    send_id = execute_send(conn, company_unique_id, campaign_id, sequence_id, perform_send)

1. The gate: pyctl.gate.MarketingSafetyGate(conn).check_eligibility_or_fail(...)
   writes and COMMITS one outreach.send_attempt_audit row, blocked or not.
   On a block it raises the mapped MarketingSafetyGateError subclass
   (IneligibleTierError, MarketingDisabledError, BlockingOverrideError,
   CampaignNotActiveError, EligibilityCheckFailedError) and perform_send is
   never called.
2. The send, in ONE transaction:
   a. INSERT INTO outreach.send_log with the gate's audit id. Its guard
      triggers take the company's kill-switch lock (shared, until the end of
      this transaction), lock the Company Target, and re-check everything a
      send needs (a fresh, passing, unused verdict; no kill-switch change
      since; not opted out): if the verdict is no longer clearable the insert
      raises OG008 and the transaction rolls back - nothing was sent. That
      happens when a kill-switch change or an opt-out committed between the
      gate's commit and this insert: execute_send then asks the gate again
      (a new audit row, which now sees the change) up to GATE_ATTEMPTS times
      in all, and raises its verdict or, last, SendError.
   b. perform_send(company_unique_id=, campaign_id=, sequence_id=, audit_id=,
      correlation_id=, channel=, target_id=, person_id=) - keyword arguments
      only; its return value is ignored. If it raises, the transaction rolls
      back (no send_log row, the target's status unchanged) and its exception
      propagates; the committed audit row still shows the attempt.
   c. COMMIT. The send_log row, the status change (queued -> active ->
      exhausted) and the send's outbox events become visible together.
   d. The events' NOTIFY (outreach.fn_outbox_wake, in a transaction of its
      own that commits without waiting for its WAL flush), sent in the same
      message as the COMMIT, so it costs no round trip: the send transaction
      defers it (outreach.outbox_wake), so that no commit flush waits on
      PostgreSQL's notification lock. wake=False sends no NOTIFY at all (the
      consumers find the events at their next poll). Returns the send_id.

No session state is used: no session advisory lock, no prepared statement,
no plain SET (only SET LOCAL through set_config(..., true)). It works the same
on a direct connection and on one from a transaction-mode pooler (pgbouncer).

The bound: while perform_send runs, its send transaction holds the company's
kill-switch lock (shared) and the Company Target's row lock. A kill-switch
change for that company (set/remove_marketing_override), an opt-out or
another send to it waits until the send is recorded, and no longer than
`provider_timeout` seconds (default PROVIDER_TIMEOUT) after the send_log
insert: the transaction sets
idle_in_transaction_session_timeout to it, so the server ends a send whose
provider call is still running by then (and a client that died mid-send).
The provider may still have sent: SendNotRecordedError says so, the
connection is gone (open a new one), and the operator reconciles. A send
also waits at most `provider_timeout` for those locks (lock_timeout), then
raises SendError: nothing was sent.

Errors: execute_send raises a MarketingSafetyGateError (the gate said no, or
could not be asked), SendError (refused before perform_send: nothing was
sent), SendNotRecordedError (perform_send returned but the record could not
be committed), or whatever perform_send raised. It never lets a psycopg error
out.

Queued sending: `pyctl campaign run` queues requests (SEND_REQUESTED events
for the senders) instead of sending; run_sender(conn_factory, perform_send)
is the worker that claims them, asks the gate again right before each send
and performs it with the send transaction above (see run_sender).

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
import time
import uuid
import weakref
from typing import Any, Callable

import psycopg
from psycopg import pq

from pyctl.errors import PyctlError, format_db_error

#: seconds perform_send may take before the server ends its send transaction
#: (and so the longest a kill-switch change for that company waits for it)
PROVIDER_TIMEOUT = 30.0
#: gate checks per execute_send when a verdict is voided before its send (OG008)
GATE_ATTEMPTS = 5

LOOKUP_SQL = """
SELECT (SELECT c.channel FROM outreach.campaigns c WHERE c.campaign_id = %(campaign)s) AS channel,
       (SELECT true FROM outreach.sequences s
         WHERE s.campaign_id = %(campaign)s AND s.sequence_id = %(sequence)s) AS step_ok
"""

#: the send transaction's bounds, transaction-local (pooler-safe); and its
#: outbox NOTIFY deferred to COMMIT_AND_WAKE_SQL (outreach.fn_outbox_wake)
BOUNDS_SQL = ("SELECT set_config('idle_in_transaction_session_timeout', %(ms)s, true),"
              " set_config('lock_timeout', %(ms)s, true), set_config('outreach.outbox_wake', 'after_commit', true)")

#: ends the send transaction and wakes the consumers of its events in ONE
#: message (the simple query protocol): the COMMIT, then the wake-up in an
#: implicit transaction of its own, which runs only when the COMMIT succeeded
COMMIT_AND_WAKE_SQL = "COMMIT; SELECT outreach.fn_outbox_wake('{tx:d}'::xid8)"

#: after an error in that message: whether the COMMIT went through (the send is recorded)
RECORDED_SQL = "SELECT EXISTS (SELECT 1 FROM outreach.send_log WHERE send_id = %s)"

#: the queued request a send transaction performs (run_sender), transaction-local
REQUEST_SQL = "SELECT set_config('outreach.send_request_id', %s, true)"

#: target_id and outreach_id are the Company Target's (the guard fills them in)
INSERT_SQL = """
INSERT INTO outreach.send_log (company_unique_id, campaign_id, sequence_id, person_id, channel, gate_audit_id)
VALUES (%s, %s, %s, %s, %s, %s)
RETURNING send_id, target_id, pg_current_xact_id()::text
"""


class SendError(PyctlError):
    """execute_send refused before the provider was called (nothing was sent).
    `sqlstate` is the database's code when the database refused."""

    def __init__(self, message: str, audit_id: Any = None, sqlstate: str | None = None):
        super().__init__(message)
        self.audit_id = audit_id
        self.sqlstate = sqlstate


class SendNotRecordedError(SendError):
    """perform_send returned, but its send_log row could not be committed (the
    connection was lost, or the server ended the send transaction after
    provider_timeout). The send may have happened; reconcile by hand."""


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
                 person_id: str | None = None, provider_timeout: float = PROVIDER_TIMEOUT,
                 wake: bool = True) -> int:
    """Gate check (committed), then one transaction: the send_log row (its
    guard re-checks the verdict), perform_send, COMMIT (and the consumers'
    wake-up, unless wake=False). Returns the send_id. See the module doc."""
    if not callable(perform_send):
        raise SendError("perform_send must be callable")
    if not isinstance(provider_timeout, (int, float)) or not 0 < provider_timeout <= 24 * 3600:
        raise SendError(f"provider_timeout must be a number of seconds in (0, 86400], got {provider_timeout!r}")
    correlation_id = correlation_id or f"send-{uuid.uuid4()}"
    with _lock_for(conn):
        if conn.closed or conn.info.transaction_status != pq.TransactionStatus.IDLE:
            raise SendError("execute_send needs an open, idle connection (commit or roll back first): "
                            "the safety gate commits its audit row")

        # The campaign's channel (the gate refuses any other) and, when a step
        # is named, that it is a step of this campaign: a caller's mistake, so
        # refused before the gate and before anything is written.
        try:
            with conn.transaction():
                channel, step_ok = conn.execute(LOOKUP_SQL, {"campaign": campaign_id, "sequence": sequence_id},
                                                prepare=False).fetchone()
        except psycopg.Error as e:
            raise SendError(f"company {company_unique_id}, campaign {campaign_id}: cannot read the campaign, "
                            f"nothing sent: {format_db_error(e)}", sqlstate=e.sqlstate) from None
        if channel is not None and sequence_id is not None and not step_ok:
            raise SendError(f"sequence_id {sequence_id} is not a step of campaign {campaign_id}; nothing sent")

        from pyctl.gate import MarketingSafetyGate

        gate = MarketingSafetyGate(conn)
        for attempt in range(1, GATE_ATTEMPTS + 1):
            # 1. the gate: audited and committed, blocked or not; raises on a block
            #    (an unknown campaign reaches the gate too: EligibilityCheckFailedError)
            result = gate.check_eligibility_or_fail(company_unique_id, campaign_id, correlation_id,
                                                    channel=channel or "EMAIL")
            try:
                return _send(conn, company_unique_id, campaign_id, sequence_id, perform_send, correlation_id,
                             person_id, channel, _field(result, "audit_id"), provider_timeout, wake=wake)
            except SendError as e:
                # OG008: the verdict was voided between the gate's commit and
                # the send (a kill-switch change or an opt-out committed in
                # between). Nothing was sent; ask the gate again, which now
                # sees the change and blocks or clears accordingly.
                if e.sqlstate != "OG008" or isinstance(e, SendNotRecordedError) or attempt == GATE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover


class _ProviderFailed(Exception):
    """Carries perform_send's own exception out of the send transaction."""

    def __init__(self, original: BaseException):
        super().__init__(str(original))
        self.original = original


def _send(conn, company_unique_id, campaign_id, sequence_id, perform_send, correlation_id, person_id, channel,
          audit_id, provider_timeout, request_id: int | None = None,
          on_step: Callable[[str], None] | None = None, wake: bool = True) -> int:
    """2. the send transaction (see the module doc). With `request_id` it
    performs that queued request (run_sender): the send_log trigger marks it
    sent in this transaction, or refuses with 23505 when it is closed.
    The transaction is begun and ended by hand, not by conn.transaction(),
    so that its COMMIT and the wake-up travel in one message."""
    where = f"company {company_unique_id}, campaign {campaign_id} (gate audit {audit_id})"
    extra = {} if request_id is None else {"request_id": request_id,
                                           "idempotency_key": f"outreach-send-request-{request_id}"}
    sent = False
    send_id = None
    try:
        if conn.autocommit:
            conn.execute("BEGIN", prepare=False)   # otherwise psycopg begins one at the first statement
        try:
            conn.execute(BOUNDS_SQL, {"ms": f"{int(provider_timeout * 1000)}ms"}, prepare=False)
            if request_id is not None:
                conn.execute(REQUEST_SQL, (str(request_id),), prepare=False)
            send_id, target_id, tx = conn.execute(INSERT_SQL, (company_unique_id, campaign_id, sequence_id,
                                                               person_id, channel, audit_id), prepare=False).fetchone()
            if on_step is not None:
                on_step("recorded")
            try:
                perform_send(company_unique_id=company_unique_id, campaign_id=campaign_id,
                             sequence_id=sequence_id, audit_id=audit_id, correlation_id=correlation_id,
                             channel=channel, target_id=target_id, person_id=person_id, **extra)
            except BaseException as e:  # noqa: BLE001 - rolled back, then re-raised as is below
                raise _ProviderFailed(e) from None
            sent = True
            if on_step is not None:
                on_step("sent")
            # no parameters: psycopg sends it with the simple query protocol,
            # which runs both statements of the one message in order; never
            # prepared (no session state for a pooler), like every statement here
            conn.execute(COMMIT_AND_WAKE_SQL.format(tx=int(tx)) if wake else "COMMIT", prepare=False)
        except BaseException:
            _rollback(conn)
            raise
    except _ProviderFailed as wrapped:
        raise wrapped.original from None
    except psycopg.Error as e:
        if sent and _recorded(conn, send_id):
            # the COMMIT went through and only the wake-up failed: the send is
            # recorded, and the consumers find its events at their next poll
            return send_id
        if sent:
            raise SendNotRecordedError(
                f"{where}: the provider returned but the send_log row was not committed, so the send may have "
                f"happened without a record (reconcile it; open a new connection): {format_db_error(e)}",
                audit_id=audit_id, sqlstate=e.sqlstate) from None
        raise SendError(f"{where}: refused before sending, nothing sent: {format_db_error(e)}",
                        audit_id=audit_id, sqlstate=e.sqlstate) from None
    return send_id


def _rollback(conn: psycopg.Connection) -> None:
    """Ends a send transaction that is still open (a failed COMMIT ended it
    already); a connection that is gone has nothing left to end."""
    try:
        if not conn.closed and conn.info.transaction_status != pq.TransactionStatus.IDLE:
            conn.rollback()
    except psycopg.Error:
        pass


def _recorded(conn: psycopg.Connection, send_id: int) -> bool:
    """Whether send_id is committed (asked on the same connection when it is
    still open; False when it cannot be asked)."""
    try:
        if conn.autocommit:
            return bool(conn.execute(RECORDED_SQL, (send_id,), prepare=False).fetchone()[0])
        with conn.transaction():
            return bool(conn.execute(RECORDED_SQL, (send_id,), prepare=False).fetchone()[0])
    except psycopg.Error:
        return False


# ------------------------------------------------------------------ queued sending: the worker
#: the consumer of the senders' destination a worker claims as, by default
SENDER_CONSUMER = "outreach-sender"
CLAIM_SQL = ("SELECT event_id, company_unique_id, payload, attempt"
             " FROM outreach.fn_outbox_claim(%s::text, 'sender', %s::integer, %s::interval)")
ACK_SQL = "SELECT outreach.fn_outbox_ack(%s::text, %s::bigint[])"
NACK_SQL = "SELECT outreach.fn_outbox_nack(%s::text, %s::bigint[], %s::interval, %s::text)"
REQUEST_STATUS_SQL = "SELECT status FROM outreach.send_requests WHERE request_id = %s"
BLOCK_SQL = "SELECT outreach.fn_block_send_request(%s::bigint, %s::uuid)"


class SenderStats:
    """What run_sender did, by outcome (counts of SEND_REQUESTED events)."""

    def __init__(self) -> None:
        self.claimed = 0
        self.sent = 0            # queued requests performed and recorded now
        self.blocked = 0         # refused by the gate right before the send
        self.closed = 0          # already sent or blocked (a redelivery): acknowledged, nothing done
        self.direct = 0          # made by execute_send (already performed): acknowledged
        self.failed = 0          # given back (nack): the provider or the database failed

    def __repr__(self) -> str:
        return (f"SenderStats(claimed={self.claimed}, sent={self.sent}, blocked={self.blocked}, "
                f"closed={self.closed}, direct={self.direct}, failed={self.failed})")


def run_sender(conn_factory: Callable[[], psycopg.Connection], perform_send: Callable[..., Any], *,
               consumer: str = SENDER_CONSUMER, batch_size: int = 10, visibility: float | None = None,
               provider_timeout: float = PROVIDER_TIMEOUT, retry_in: float = 30.0, max_batches: int | None = None,
               idle_exit: bool = True, poll_interval: float = 5.0,
               on_step: Callable[[str, dict], None] | None = None) -> SenderStats:
    """The sending worker of queued campaign runs: claim SEND_REQUESTED
    events (destination sender, as `consumer`), and for each queued request:

    1. its request still pending? (a redelivered one may be done already);
    2. the safety gate, right before the send (audited and committed);
       a refusal closes the request as blocked (outreach.fn_block_send_request);
    3. the send transaction of execute_send: the send_log row, which names the
       request (its trigger marks it sent, or refuses with 23505 when another
       worker performed it), then perform_send, then COMMIT;
    4. the acknowledgement (outreach.fn_outbox_ack).

    A crash anywhere leaves the event unacknowledged: it comes back after the
    visibility timeout and starts again at 1. So a request is never recorded
    twice (one pending request, one send_log row, in one transaction) and
    never recorded without a fresh gate pass (the send_log guard holds the
    send to the verdict of step 2). The provider may see a request twice
    only if the worker died, or lost its connection, after the send_log row
    and before the commit (a lost connection shows only at the commit):
    perform_send gets `idempotency_key` (the same for every attempt at one
    request) to hand to the provider.

    perform_send gets the keyword arguments of execute_send's plus
    `request_id` and `idempotency_key`. If it raises, the send rolls back and
    the event is given back (fn_outbox_nack, retried after `retry_in`
    seconds, parked after the consumer's max attempts). A direct request
    (made by execute_send, performed already) is acknowledged as is.

    conn_factory() opens a connection (a pooled one works: nothing outlives
    a transaction); a lost connection is replaced. `visibility` (seconds a
    claimed batch stays invisible to other workers) defaults to
    batch_size * (provider_timeout + 10). Stops when a claim comes back
    empty (idle_exit) or after max_batches claims; else polls every
    poll_interval seconds. `on_step(step, info)` is called at each step
    (claimed, gated, recorded, sent, committed, acked) for tracing.
    Returns the SenderStats."""
    if not callable(perform_send):
        raise SendError("perform_send must be callable")
    if not isinstance(batch_size, int) or not 1 <= batch_size <= 1000:
        raise SendError(f"batch_size must be 1..1000, got {batch_size!r}")
    if visibility is None:
        visibility = batch_size * (provider_timeout + 10.0)
    stats = SenderStats()
    trace = on_step or (lambda _step, _info: None)
    conn: psycopg.Connection | None = None
    batches = 0
    try:
        while max_batches is None or batches < max_batches:
            if conn is None or conn.closed:
                conn = conn_factory()
            try:
                with conn.transaction():
                    events = conn.execute(CLAIM_SQL, (consumer, batch_size, f"{visibility} seconds"),
                                          prepare=False).fetchall()
            except psycopg.OperationalError:
                conn.close()
                conn = None
                time.sleep(min(poll_interval, 1.0))
                continue
            batches += 1
            if not events:
                if idle_exit:
                    break
                time.sleep(poll_interval)
                continue
            stats.claimed += len(events)
            for event_id, company, payload, attempt in events:
                info = {"event_id": event_id, "company_unique_id": company, "attempt": attempt,
                        "request_id": payload.get("request_id")}
                trace("claimed", info)
                try:
                    _perform_request(conn, consumer, event_id, company, payload, perform_send, stats,
                                     provider_timeout, retry_in, info, trace)
                except psycopg.OperationalError:
                    # the connection is gone: this event (and the rest of the
                    # batch) comes back after the visibility timeout
                    conn.close()
                    conn = None
                    break
    finally:
        if conn is not None and not conn.closed:
            conn.close()
    return stats


def _perform_request(conn, consumer, event_id, company, payload, perform_send, stats, provider_timeout, retry_in,
                     info, trace) -> None:
    """Steps 1-4 of run_sender for one SEND_REQUESTED event."""
    def ack() -> None:
        with conn.transaction():
            conn.execute(ACK_SQL, (consumer, [event_id]), prepare=False)
        trace("acked", info)

    if payload.get("mode") != "queued":
        stats.direct += 1
        ack()
        return
    request_id = payload["request_id"]
    with conn.transaction():
        row = conn.execute(REQUEST_STATUS_SQL, (request_id,), prepare=False).fetchone()
    if row is None or row[0] != "pending":
        stats.closed += 1
        ack()
        return

    from pyctl.gate import MarketingSafetyGate

    gate = MarketingSafetyGate(conn)
    campaign, sequence_id, channel = payload["campaign_id"], payload["sequence_id"], payload["channel"]
    correlation_id = payload.get("correlation_id") or f"request-{request_id}"
    for attempt in range(1, GATE_ATTEMPTS + 1):
        verdict = gate.check(company, campaign, correlation_id, channel=channel)
        trace("gated", {**info, "eligible": verdict.is_eligible, "audit_id": verdict.audit_id,
                        "block_reason": verdict.block_reason})
        if not verdict.is_eligible:
            if verdict.audit_id is None:  # the gate could not be asked: try again later
                _give_back(conn, consumer, event_id, retry_in, "the safety gate could not be asked", stats)
                return
            with conn.transaction():
                conn.execute(BLOCK_SQL, (request_id, verdict.audit_id), prepare=False)
            stats.blocked += 1
            ack()
            return
        try:
            _send(conn, company, campaign, sequence_id, perform_send, correlation_id, payload.get("person_id"),
                  channel, verdict.audit_id, provider_timeout, request_id=request_id,
                  on_step=lambda step: trace(step, info))
        except SendNotRecordedError as e:
            if conn.closed or conn.broken:
                raise psycopg.OperationalError(str(e)) from None
            _give_back(conn, consumer, event_id, retry_in, str(e), stats)
            return
        except SendError as e:
            if e.sqlstate == "23505":      # another worker performed it: nothing was sent now
                stats.closed += 1
                ack()
                return
            if e.sqlstate == "OG008" and attempt < GATE_ATTEMPTS:
                continue                   # the verdict was voided before the send: ask again
            if conn.closed or conn.broken:
                raise psycopg.OperationalError(str(e)) from None
            _give_back(conn, consumer, event_id, retry_in, str(e), stats)
            return
        except Exception as e:  # noqa: BLE001 - the provider failed: rolled back, given back
            _give_back(conn, consumer, event_id, retry_in, f"{type(e).__name__}: {e}", stats)
            return
        trace("committed", info)
        stats.sent += 1
        ack()
        return


def _give_back(conn, consumer, event_id, retry_in, error, stats) -> None:
    stats.failed += 1
    with conn.transaction():
        conn.execute(NACK_SQL, (consumer, [event_id], f"{retry_in} seconds", error[:2000]), prepare=False)
