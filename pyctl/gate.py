"""The marketing safety gate from Python (docs/reference/gate.md), and the kill switch
helpers behind `pyctl override` / `pyctl gate`.

    gate = MarketingSafetyGate(conn)
    try:
        result = gate.check_eligibility_or_fail(company_id, campaign_id, correlation_id)
    except MarketingSafetyGateError as e:      # or one of its subclasses
        log_blocked_send(company_id, e.block_reason, e.audit_id)
    else:
        record_send(conn, result.audit_id)     # INSERT INTO outreach.send_log ...

`check_eligibility_or_fail` calls `outreach.fn_safety_gate_check` and COMMITS
the audit row before it returns or raises, without ever committing work of
the caller's:

* autocommit connection, or a non-autocommit one with no transaction open:
  the call runs in its own short transaction on that connection, which is
  committed (the connection is left idle, as it was);
* a connection inside a transaction (or in a failed one): the call runs on a
  separate short-lived connection with the same connection parameters, which
  commits; the caller's transaction is not touched (note that the gate then
  cannot see that transaction's uncommitted changes).

Either way the verdict is taken in READ COMMITTED (the gate fails closed in
any other isolation level). Any error while calling becomes
EligibilityCheckFailedError (fail closed), carrying no audit id when no audit
row could be written.

Poolers: every statement is sent unprepared (prepare=False, whatever the
connection's prepare_threshold) and nothing outlives its transaction (SET
TRANSACTION only), so a connection from a transaction-mode pgbouncer works
like a direct one; a failure of the pooler or the driver is a blocked
verdict like any other (EligibilityCheckFailedError).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import pq
from psycopg.rows import dict_row


AUTHORITATIVE_VIEW = "outreach.vw_marketing_eligibility_with_overrides"
CHANNELS = ("EMAIL", "PHONE")
OVERRIDE_TYPES = ("BLOCK_OUTREACH", "BLOCK_EMAIL", "BLOCK_PHONE", "FORCE_TIER")

GATE_SQL = ("SELECT audit_id, is_eligible, block_reason, computed_tier, effective_tier, block_detail"
            " FROM outreach.fn_safety_gate_check(%s::text, %s::text, %s::text, %s::text, %s::boolean)")


# ------------------------------------------------------------------ results and errors
@dataclass(frozen=True)
class GateResult:
    """One verdict of the safety gate (one send_attempt_audit row)."""

    is_eligible: bool
    audit_id: uuid.UUID | None
    block_reason: str | None
    computed_tier: int | None
    effective_tier: int | None
    company_unique_id: str | None = None
    campaign_id: str | None = None
    correlation_id: str | None = None
    channel: str | None = None
    dry_run: bool = False
    #: why, in words (e.g. "unknown company 'NOPE-123'"); None for a pass
    block_detail: str | None = None

    def verdict(self) -> str:
        """ELIGIBLE, or BLOCKED (REASON: detail)."""
        if self.is_eligible:
            return "ELIGIBLE"
        return f"BLOCKED ({self.block_reason}" + (f": {self.block_detail})" if self.block_detail else ")")


class MarketingSafetyGateError(Exception):
    """A blocked verdict (or a failed check). `result` is the GateResult;
    `audit_id`, `block_reason` and `block_detail` are its fields."""

    def __init__(self, result: GateResult, message: str | None = None):
        self.result = result
        self.audit_id = result.audit_id
        self.block_reason = result.block_reason
        self.block_detail = result.block_detail
        detail = f": {result.block_detail}" if result.block_detail else ""
        super().__init__(message or
                         f"send to {result.company_unique_id} in campaign {result.campaign_id} blocked: "
                         f"{result.block_reason}{detail} (audit_id {result.audit_id})")


class IneligibleTierError(MarketingSafetyGateError):
    """COMPANY_INELIGIBLE, INELIGIBLE_TIER or TIER_BELOW_CAMPAIGN_MINIMUM."""


class MarketingDisabledError(MarketingSafetyGateError):
    """MARKETING_DISABLED: an active BLOCK_OUTREACH override (the kill switch)."""


class BlockingOverrideError(MarketingSafetyGateError):
    """BLOCKING_OVERRIDE (the channel is blocked) or OPTED_OUT."""


class CampaignNotActiveError(MarketingSafetyGateError):
    """CAMPAIGN_NOT_ACTIVE: the campaign is draft, paused or completed (docs/reference/gate.md)."""


class EligibilityCheckFailedError(MarketingSafetyGateError):
    """ELIGIBILITY_CHECK_FAILED, an unknown block reason, or any error while
    calling the gate: the system fails closed."""


ERROR_FOR_REASON: dict[str, type[MarketingSafetyGateError]] = {
    "ELIGIBILITY_CHECK_FAILED": EligibilityCheckFailedError,
    "CAMPAIGN_NOT_ACTIVE": CampaignNotActiveError,
    "COMPANY_INELIGIBLE": IneligibleTierError,
    "INELIGIBLE_TIER": IneligibleTierError,
    "TIER_BELOW_CAMPAIGN_MINIMUM": IneligibleTierError,
    "MARKETING_DISABLED": MarketingDisabledError,
    "BLOCKING_OVERRIDE": BlockingOverrideError,
    "OPTED_OUT": BlockingOverrideError,
}


def error_for(result: GateResult) -> MarketingSafetyGateError:
    """The exception a blocked verdict raises (unknown reasons fail closed)."""
    cls = ERROR_FOR_REASON.get(result.block_reason or "", EligibilityCheckFailedError)
    return cls(result)


# ------------------------------------------------------------------ the gate
def _run_gate(conn: psycopg.Connection, args: tuple) -> dict:
    """One gate call in its own transaction on `conn` (which is idle), committed."""
    with conn.transaction():
        # BEGIN may have asked for another level or READ ONLY (the
        # connection's settings): the verdict is taken in READ COMMITTED and
        # its audit row written whatever they are. SET TRANSACTION is allowed
        # here because nothing ran in this transaction yet.
        conn.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED, READ WRITE", prepare=False)
        with conn.cursor(row_factory=dict_row) as cur:
            cur.execute(GATE_SQL, args, prepare=False)
            row = cur.fetchone()
    if row is None:
        raise RuntimeError("outreach.fn_safety_gate_check returned no row")
    return row


def _side_connection(conn: psycopg.Connection) -> psycopg.Connection:
    """A new autocommit connection with `conn`'s connection parameters."""
    params = conn.info.get_parameters()
    password = conn.info.password
    if password:
        params["password"] = password
    return psycopg.connect(autocommit=True, prepare_threshold=None, **params)


def check_eligibility(conn: psycopg.Connection, company_unique_id: str | None, campaign_id: str | None,
                      correlation_id: str | None, channel: str | None = "EMAIL",
                      dry_run: bool = False) -> GateResult:
    """Run the gate and commit its audit row (see the module docstring for how
    the caller's transaction is kept out of it); return the verdict, blocked
    or not. Raises psycopg.Error/OSError when the gate could not be called."""
    args = (company_unique_id, campaign_id, correlation_id, channel, dry_run)
    status = conn.info.transaction_status
    if status == pq.TransactionStatus.IDLE:
        row = _run_gate(conn, args)
    else:
        with _side_connection(conn) as side:
            row = _run_gate(side, args)
    return GateResult(is_eligible=row["is_eligible"] is True, audit_id=row["audit_id"],
                      block_reason=row["block_reason"], computed_tier=row["computed_tier"],
                      effective_tier=row["effective_tier"], company_unique_id=company_unique_id,
                      campaign_id=campaign_id, correlation_id=correlation_id, channel=channel,
                      dry_run=bool(dry_run), block_detail=row["block_detail"])


def _not_called(e: Exception, company_unique_id, campaign_id, correlation_id, channel, dry_run) -> GateResult:
    """The blocked verdict of a gate that could not be called (no audit row)."""
    code = getattr(e, "sqlstate", None)
    return GateResult(is_eligible=False, audit_id=None, block_reason="ELIGIBILITY_CHECK_FAILED",
                      computed_tier=None, effective_tier=None, company_unique_id=company_unique_id,
                      campaign_id=campaign_id, correlation_id=correlation_id, channel=channel, dry_run=bool(dry_run),
                      block_detail=f"the gate could not be called ({code or type(e).__name__}); no audit row")


class MarketingSafetyGate:
    """HARD_FAIL before any marketing send (docs/reference/gate.md). Reads only
    outreach.vw_marketing_eligibility_with_overrides, through
    outreach.fn_safety_gate_check; no fallback."""

    AUTHORITATIVE_VIEW = AUTHORITATIVE_VIEW

    def __init__(self, db_connection: psycopg.Connection):
        self.conn = db_connection

    def check(self, company_unique_id, campaign_id, correlation_id, channel="EMAIL", dry_run=False) -> GateResult:
        """The verdict, blocked or not (audited and committed); never raises
        for a verdict. A failure to call the gate is a blocked
        ELIGIBILITY_CHECK_FAILED result with audit_id None."""
        try:
            return check_eligibility(self.conn, company_unique_id, campaign_id, correlation_id, channel, dry_run)
        except Exception as e:  # noqa: BLE001 - fail closed
            return _not_called(e, company_unique_id, campaign_id, correlation_id, channel, dry_run)

    def check_eligibility_or_fail(self, company_unique_id, campaign_id, correlation_id, channel="EMAIL",
                                  dry_run=False) -> GateResult:
        """The passing verdict, or the MarketingSafetyGateError subclass of
        the block reason, raised after the audit row was committed."""
        try:
            result = check_eligibility(self.conn, company_unique_id, campaign_id, correlation_id, channel, dry_run)
        except Exception as e:  # noqa: BLE001 - any failure is a blocked verdict (fail closed)
            failed = _not_called(e, company_unique_id, campaign_id, correlation_id, channel, dry_run)
            raise EligibilityCheckFailedError(
                failed, f"safety gate check failed for {company_unique_id} ({type(e).__name__}: "
                        f"{' '.join(str(e).split())}); failing closed") from e
        if result.is_eligible and result.block_reason is None and result.audit_id is not None:
            return result
        if result.is_eligible:  # inconsistent verdict: fail closed
            result = GateResult(**{**result.__dict__, "is_eligible": False,
                                   "block_reason": result.block_reason or "ELIGIBILITY_CHECK_FAILED"})
        raise error_for(result)


# ------------------------------------------------------------------ kill switch helpers (pyctl override)
def set_override(conn: psycopg.Connection, company_unique_id: str, override_type: str, reason: str, actor: str,
                 tier_cap: int | None = None, expires_at: Any = None) -> uuid.UUID:
    """outreach.set_marketing_override, committed; returns the new override_id."""
    with conn.transaction():
        return conn.execute(
            "SELECT outreach.set_marketing_override(%s::text, %s::text, %s::text, %s::text, %s::int, %s::timestamptz)",
            (company_unique_id, override_type, reason, actor, tier_cap, expires_at), prepare=False).fetchone()[0]


def remove_override(conn: psycopg.Connection, company_unique_id: str, override_type: str, reason: str,
                    actor: str) -> int:
    """outreach.remove_marketing_override, committed; returns rows removed."""
    with conn.transaction():
        return conn.execute(
            "SELECT outreach.remove_marketing_override(%s::text, %s::text, %s::text, %s::text)",
            (company_unique_id, override_type, reason, actor), prepare=False).fetchone()[0]


def company_exists(conn: psycopg.Connection, company_unique_id: str) -> bool:
    """Is the company in CL (cl.company_identity)?"""
    return conn.execute("SELECT EXISTS (SELECT 1 FROM cl.company_identity WHERE company_unique_id = %s::text)",
                        (company_unique_id,), prepare=False).fetchone()[0]


def list_overrides(conn: psycopg.Connection, company_unique_id: str | None = None,
                   include_inactive: bool = False) -> list[dict]:
    """Active overrides (or every override, with its state), newest first."""
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(
            """
            SELECT mo.override_id, mo.company_unique_id, mo.override_type, mo.tier_cap, mo.reason, mo.created_by,
                   mo.created_at, mo.expires_at, mo.removed_at, mo.removed_by, mo.remove_reason,
                   CASE WHEN mo.removed_at IS NOT NULL THEN 'removed'
                        WHEN mo.expires_at IS NOT NULL AND mo.expires_at <= now() THEN 'expired'
                        ELSE 'active' END AS state
              FROM outreach.manual_overrides mo
             WHERE (%(cid)s::text IS NULL OR mo.company_unique_id = %(cid)s::text)
               AND (%(all)s OR (mo.removed_at IS NULL AND (mo.expires_at IS NULL OR mo.expires_at > now())))
             ORDER BY mo.created_at DESC, mo.override_id
            """, {"cid": company_unique_id, "all": include_inactive}, prepare=False)
        return cur.fetchall()

