"""The safety gate from Python (pyctl.gate.MarketingSafetyGate) and from a
shell (pyctl gate / pyctl override), with real commits: the audit row is
committed before the verdict is returned or raised, the caller's transaction
is never committed by the gate, isolation levels, read-time expiry, roles."""
from __future__ import annotations

import json
import time
import uuid

import psycopg
import pytest
from psycopg import pq
from psycopg.rows import dict_row

from helpers import make_company
from pyctl import gate as G


# ------------------------------------------------------------------ helpers
def make_campaign(conn, channel="EMAIL", min_tier=1, status="active"):
    camp = f"PYC-{uuid.uuid4().hex[:8]}"
    conn.execute("INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status) VALUES (%s, %s, %s, %s, %s)",
                 (camp, camp, channel, min_tier, status))
    return camp


def audit_row(conn, audit_id):
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute("SELECT * FROM outreach.send_attempt_audit WHERE audit_id = %s", (audit_id,)).fetchone()


def count_audit(conn, corr):
    return conn.execute("SELECT count(*) FROM outreach.send_attempt_audit WHERE correlation_id = %s", (corr,)).fetchone()[0]


def corr():
    return f"py-{uuid.uuid4().hex[:12]}"


# ------------------------------------------------------------------ passing result
def test_passing_result_is_committed_and_the_connection_left_idle(conn, new_conn):
    cid, camp, c = make_company(conn), make_campaign(conn), corr()
    caller = new_conn(autocommit=False)
    res = G.MarketingSafetyGate(caller).check_eligibility_or_fail(cid, camp, c)
    assert isinstance(res, G.GateResult)
    assert (res.is_eligible, res.block_reason, res.computed_tier, res.effective_tier) == (True, None, 1, 1)
    assert caller.info.transaction_status == pq.TransactionStatus.IDLE, "the gate left no transaction open"
    row = audit_row(conn, res.audit_id)          # another connection sees it: committed
    assert row is not None and row["was_blocked"] is False and row["correlation_id"] == c
    assert row["is_dry_run"] is False and row["channel"] == "EMAIL"


def test_autocommit_connection_and_dict_rows(conn, new_conn):
    cid, camp, c = make_company(conn), make_campaign(conn, channel="PHONE"), corr()
    caller = new_conn()
    caller.row_factory = dict_row
    res = G.MarketingSafetyGate(caller).check_eligibility_or_fail(cid, camp, c, channel="PHONE", dry_run=True)
    assert res.is_eligible is True and res.dry_run is True
    assert audit_row(conn, res.audit_id)["is_dry_run"] is True


# ------------------------------------------------------------------ each block reason raises its class, audit committed
def _scenario(conn, reason):
    if reason == "ELIGIBILITY_CHECK_FAILED":
        return make_company(conn), "NO-SUCH-CAMPAIGN"
    if reason == "CAMPAIGN_NOT_ACTIVE":
        return make_company(conn), make_campaign(conn, status="paused")
    if reason == "COMPANY_INELIGIBLE":
        return make_company(conn, eligibility="INELIGIBLE"), make_campaign(conn)
    cid = make_company(conn, 0 if reason == "TIER_BELOW_CAMPAIGN_MINIMUM" else 1)
    if reason == "INELIGIBLE_TIER":
        conn.execute("SELECT outreach.fn_set_hub_status(%s, 'talent-flow', 'FAIL', 'test')", (cid,))
    elif reason == "MARKETING_DISABLED":
        G.set_override(conn, cid, "BLOCK_OUTREACH", "test", "pytest")
    elif reason == "BLOCKING_OVERRIDE":
        G.set_override(conn, cid, "BLOCK_EMAIL", "test", "pytest")
    elif reason == "OPTED_OUT":
        conn.execute("SELECT outreach.fn_set_outreach_status(target_id, 'opted_out', 'test')"
                     " FROM outreach.company_target WHERE company_unique_id = %s", (cid,))
    return cid, make_campaign(conn)


EXPECTED_CLASS = {
    "ELIGIBILITY_CHECK_FAILED": G.EligibilityCheckFailedError,
    "CAMPAIGN_NOT_ACTIVE": G.CampaignNotActiveError,
    "COMPANY_INELIGIBLE": G.IneligibleTierError,
    "INELIGIBLE_TIER": G.IneligibleTierError,
    "TIER_BELOW_CAMPAIGN_MINIMUM": G.IneligibleTierError,
    "MARKETING_DISABLED": G.MarketingDisabledError,
    "BLOCKING_OVERRIDE": G.BlockingOverrideError,
    "OPTED_OUT": G.BlockingOverrideError,
}


@pytest.mark.parametrize("reason", sorted(EXPECTED_CLASS))
def test_each_block_reason_raises_its_class_after_committing(conn, new_conn, reason):
    cid, camp = _scenario(conn, reason)
    c = corr()
    caller = new_conn(autocommit=False)
    with pytest.raises(G.MarketingSafetyGateError) as ei:
        G.MarketingSafetyGate(caller).check_eligibility_or_fail(cid, camp, c)
    e = ei.value
    assert type(e) is EXPECTED_CLASS[reason], type(e)
    assert e.block_reason == reason and e.result.is_eligible is False
    row = audit_row(conn, e.audit_id)
    assert row is not None, "the blocked verdict's audit row is committed before the exception"
    assert (row["was_blocked"], row["block_reason"], row["correlation_id"]) == (True, reason, c)
    assert caller.info.transaction_status == pq.TransactionStatus.IDLE


def test_the_four_seed_classes_share_the_base_class():
    for cls in (G.IneligibleTierError, G.MarketingDisabledError, G.BlockingOverrideError,
                G.EligibilityCheckFailedError, G.CampaignNotActiveError):
        assert issubclass(cls, G.MarketingSafetyGateError)
    unknown = G.GateResult(False, uuid.uuid4(), "SOMETHING_NEW", 1, 1)
    assert type(G.error_for(unknown)) is G.EligibilityCheckFailedError, "an unknown reason fails closed"


# ------------------------------------------------------------------ the caller's transaction is never committed by the gate
def test_caller_transaction_is_not_committed(conn, new_conn):
    cid, camp, c = make_company(conn), make_campaign(conn), corr()
    caller = new_conn(autocommit=False)
    pending = f"PYC-PENDING-{uuid.uuid4().hex[:6]}"
    caller.execute("INSERT INTO outreach.campaigns (campaign_id, name, channel) VALUES (%s, 'pending', 'EMAIL')", (pending,))
    res = G.MarketingSafetyGate(caller).check_eligibility_or_fail(cid, camp, c)
    assert res.is_eligible is True
    assert count_audit(conn, c) == 1, "the audit row is committed (through a side connection)"
    assert caller.info.transaction_status == pq.TransactionStatus.INTRANS, "the caller's transaction is still open"
    assert conn.execute("SELECT count(*) FROM outreach.campaigns WHERE campaign_id = %s", (pending,)).fetchone()[0] == 0, \
        "the caller's uncommitted insert was not committed by the gate"
    # the caller can record the send in its own transaction, then decide
    caller.execute("INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id)"
                   " VALUES (%s, %s, 'EMAIL', %s)", (cid, camp, res.audit_id))
    caller.rollback()
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE gate_audit_id = %s", (res.audit_id,)).fetchone()[0] == 0
    assert count_audit(conn, c) == 1, "rolling back the caller keeps the audit row"


def test_failed_caller_transaction_still_gets_an_audited_verdict(conn, new_conn):
    cid, camp, c = make_company(conn), make_campaign(conn), corr()
    caller = new_conn(autocommit=False)
    with pytest.raises(psycopg.errors.DivisionByZero):
        caller.execute("SELECT 1/0")
    assert caller.info.transaction_status == pq.TransactionStatus.INERROR
    G.set_override(conn, cid, "BLOCK_EMAIL", "test", "pytest")
    with pytest.raises(G.BlockingOverrideError):
        G.MarketingSafetyGate(caller).check_eligibility_or_fail(cid, camp, c)
    assert count_audit(conn, c) == 1


def test_a_dead_connection_fails_closed(conn, new_conn):
    cid, camp = make_company(conn), make_campaign(conn)
    caller = new_conn()
    caller.close()
    with pytest.raises(G.EligibilityCheckFailedError) as ei:
        G.MarketingSafetyGate(caller).check_eligibility_or_fail(cid, camp, corr())
    assert ei.value.audit_id is None and ei.value.block_reason == "ELIGIBILITY_CHECK_FAILED"
    r = G.MarketingSafetyGate(caller).check(cid, camp, corr())
    assert (r.is_eligible, r.block_reason, r.audit_id) == (False, "ELIGIBILITY_CHECK_FAILED", None)


# ------------------------------------------------------------------ isolation
def test_sql_gate_fails_closed_outside_read_committed(conn, new_conn):
    cid, camp, c = make_company(conn), make_campaign(conn), corr()
    rr = new_conn(autocommit=False)
    rr.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    v = rr.execute("SELECT is_eligible, block_reason FROM outreach.fn_safety_gate_check(%s, %s, %s)", (cid, camp, c)).fetchone()
    rr.commit()
    assert v == (False, "ELIGIBILITY_CHECK_FAILED"), \
        "a REPEATABLE READ snapshot may predate a kill-switch change: the gate fails closed"
    assert count_audit(conn, c) == 1


def test_python_gate_takes_its_verdict_in_read_committed(conn, new_conn):
    cid, camp, c = make_company(conn), make_campaign(conn), corr()
    caller = new_conn(autocommit=False)
    caller.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
    caller.read_only = True
    res = G.MarketingSafetyGate(caller).check_eligibility_or_fail(cid, camp, c)
    assert res.is_eligible is True and count_audit(conn, c) == 1


# ------------------------------------------------------------------ expiry at read time, in real time
def test_an_override_expires_at_read_time_without_a_job(conn):
    cid, camp = make_company(conn), make_campaign(conn)
    oid = G.set_override(conn, cid, "BLOCK_EMAIL", "for two seconds", "pytest",
                         expires_at=conn.execute("SELECT clock_timestamp() + interval '2 seconds'").fetchone()[0])
    assert G.check_eligibility(conn, cid, camp, corr()).block_reason == "BLOCKING_OVERRIDE"
    time.sleep(2.3)
    assert G.check_eligibility(conn, cid, camp, corr()).is_eligible is True
    row = conn.execute("SELECT removed_at FROM outreach.manual_overrides WHERE override_id = %s", (oid,)).fetchone()
    assert row == (None,), "nothing rewrote the row: expiry is read-time"
    assert G.list_overrides(conn, cid) == []
    assert [r["state"] for r in G.list_overrides(conn, cid, include_inactive=True)] == ["expired"]


# ------------------------------------------------------------------ roles, through login roles
def test_sender_runs_the_gate_and_sends_but_cannot_touch_overrides(conn, login_role):
    cid, camp = make_company(conn), make_campaign(conn)
    _name, sender = login_role("outreach_sender")
    res = G.MarketingSafetyGate(sender).check_eligibility_or_fail(cid, camp, corr())
    sender.execute("INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id)"
                   " VALUES (%s, %s, 'EMAIL', %s)", (cid, camp, res.audit_id))
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        G.set_override(sender, cid, "BLOCK_OUTREACH", "sender", "sender")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        G.remove_override(sender, cid, "BLOCK_OUTREACH", "sender", "sender")
    assert G.list_overrides(conn, cid) == []


def test_override_admin_sets_and_removes_but_cannot_run_the_gate(conn, login_role):
    cid, camp = make_company(conn), make_campaign(conn)
    _name, admin = login_role("outreach_override_admin")
    G.set_override(admin, cid, "BLOCK_OUTREACH", "incident", "admin")
    assert [r["override_type"] for r in G.list_overrides(admin, cid)] == ["BLOCK_OUTREACH"]
    with pytest.raises(G.EligibilityCheckFailedError) as ei:
        G.MarketingSafetyGate(admin).check_eligibility_or_fail(cid, camp, corr())
    assert ei.value.audit_id is None, "no EXECUTE on the gate: nothing was audited, and nothing passes"
    assert G.remove_override(admin, cid, "BLOCK_OUTREACH", "fixed", "admin") == 1


def test_reader_cannot_write(conn, login_role):
    cid = make_company(conn)
    _name, reader = login_role("outreach_reader")
    for sql in ("SELECT outreach.set_marketing_override(%s, 'BLOCK_OUTREACH', 'r', 'r')",
                "SELECT * FROM outreach.fn_safety_gate_check(%s, 'X', 'c')",
                "INSERT INTO outreach.send_attempt_audit (company_unique_id, was_blocked) VALUES (%s, false)"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute(sql, (cid,))
    assert reader.execute("SELECT count(*) FROM outreach.vw_engagement_metrics WHERE company_unique_id = %s",
                          (cid,)).fetchone()[0] == 1


# ------------------------------------------------------------------ CLI
def test_cli_override_set_list_remove(conn, dsn, run_pyctl):
    cid = make_company(conn)
    p = run_pyctl(["override", "set", cid, "BLOCK_EMAIL", "--reason", "customer asked", "--actor", "ops-alice"], dsn=dsn)
    assert p.returncode == 0, p.stderr
    oid = p.stdout.split("override_id:")[1].split()[0]
    row = conn.execute("SELECT override_type, reason, created_by FROM outreach.manual_overrides WHERE override_id = %s",
                       (oid,)).fetchone()
    assert row == ("BLOCK_EMAIL", "customer asked", "ops-alice")
    p = run_pyctl(["override", "list", cid], dsn=dsn)
    assert p.returncode == 0 and "BLOCK_EMAIL" in p.stdout and "customer asked" in p.stdout, p.stdout
    p = run_pyctl(["override", "list", cid, "--json"], dsn=dsn)
    assert [r["override_id"] for r in json.loads(p.stdout)] == [oid]
    p = run_pyctl(["override", "set", cid, "--type", "FORCE_TIER", "--tier-cap", "0", "--reason", "hold",
                   "--actor", "ops", "--expires-in", "1 day"], dsn=dsn)
    assert p.returncode == 0, p.stderr
    p = run_pyctl(["override", "remove", cid, "BLOCK_EMAIL", "--reason", "resolved", "--actor", "ops-bob"], dsn=dsn)
    assert p.returncode == 0 and "removed: 1" in p.stdout, p.stdout + p.stderr
    p = run_pyctl(["override", "remove", cid, "BLOCK_EMAIL", "--reason", "again", "--actor", "ops-bob"], dsn=dsn)
    assert p.returncode == 0 and "removed: 0" in p.stdout
    p = run_pyctl(["override", "list", cid, "--all"], dsn=dsn)
    assert "removed" in p.stdout and "FORCE_TIER" in p.stdout
    assert conn.execute("SELECT array_agg(action ORDER BY audit_id) FROM outreach.override_audit_log"
                        " WHERE company_unique_id = %s", (cid,)).fetchone()[0] == ["SET", "SET", "REMOVE"]


@pytest.mark.parametrize("args, code", [
    (["BLOCK_EMAIL", "--reason", "  ", "--actor", "a"], "22023"),
    (["BLOCK_EMAIL", "--reason", "r", "--actor", ""], "22023"),
    (["BLOCK_SMS", "--reason", "r", "--actor", "a"], "22023"),
    (["FORCE_TIER", "--reason", "r", "--actor", "a", "--cap", "7"], "22023"),
    (["FORCE_TIER", "--reason", "r", "--actor", "a"], "22023"),
    (["BLOCK_EMAIL", "--reason", "r", "--actor", "a", "--expires-at", "2001-01-01"], "22023"),
])
def test_cli_override_bad_input_is_one_line_and_changes_nothing(conn, dsn, run_pyctl, args, code):
    cid = make_company(conn)
    p = run_pyctl(["override", "set", cid, *args], dsn=dsn)
    assert p.returncode == 1, p.stdout + p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and code in lines[0] and "Traceback" not in p.stderr, p.stderr
    assert conn.execute("SELECT count(*) FROM outreach.override_audit_log WHERE company_unique_id = %s",
                        (cid,)).fetchone()[0] == 0


def test_cli_override_unknown_company(dsn, run_pyctl):
    p = run_pyctl(["override", "set", "NO-SUCH-CO", "BLOCK_EMAIL", "--reason", "r", "--actor", "a"], dsn=dsn)
    assert p.returncode == 1 and "OG002" in p.stderr, p.stderr


def test_cli_gate_check(conn, dsn, run_pyctl):
    cid, camp = make_company(conn), make_campaign(conn)
    p = run_pyctl(["gate", "check", cid, "--campaign", camp, "--correlation-id", "cli-1"], dsn=dsn)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "ELIGIBLE" in p.stdout
    aid = p.stdout.split("audit_id:")[1].split()[0]
    row = audit_row(conn, aid)
    assert (row["was_blocked"], row["correlation_id"], row["is_dry_run"]) == (False, "cli-1", False)

    G.set_override(conn, cid, "BLOCK_OUTREACH", "incident", "pytest")
    p = run_pyctl(["gate", "check", cid, "--campaign", camp, "--dry-run"], dsn=dsn)
    assert p.returncode == 3, p.stdout + p.stderr
    assert "BLOCKED (MARKETING_DISABLED: an active BLOCK_OUTREACH override)" in p.stdout
    row = audit_row(conn, p.stdout.split("audit_id:")[1].split()[0])
    assert (row["was_blocked"], row["block_reason"], row["is_dry_run"]) == (True, "MARKETING_DISABLED", True)

    p = run_pyctl(["gate", "check", cid, "--campaign", camp, "--channel", "PHONE", "--json"], dsn=dsn)
    assert p.returncode == 3
    out = json.loads(p.stdout)
    assert (out["is_eligible"], out["block_reason"]) == (False, "ELIGIBILITY_CHECK_FAILED")
    assert audit_row(conn, out["audit_id"])["channel"] == "PHONE"


def test_cli_help(run_pyctl):
    for args in (["override", "--help"], ["override", "set", "--help"], ["gate", "check", "--help"]):
        p = run_pyctl(args)
        assert p.returncode == 0 and "Usage" in p.stdout, p.stderr
