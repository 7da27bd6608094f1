"""pyctl.outreach.execute_send (docs/reference/gate.md): the gate
first (committed), the provider only on a pass, the send_log row only after
the provider succeeded, with the gate's audit id; and all of it from 8 threads
while the kill switch flips."""
from __future__ import annotations

import threading
import time

import psycopg
import pytest

from campaign_support import create_campaign, override, status_of, step_id
from helpers import make_company, new_id, race, target_of
from pyctl.gate import (BlockingOverrideError, CampaignNotActiveError, EligibilityCheckFailedError,
                        IneligibleTierError, MarketingDisabledError, MarketingSafetyGateError)
from pyctl.outreach import SendError, SendNotRecordedError, execute_send
from send_race import Provider, assert_every_send_was_safe, senders_racing_a_flipper


def audit(conn, audit_id):
    return conn.execute("SELECT was_blocked, block_reason, is_dry_run, correlation_id, campaign_id, channel"
                        " FROM outreach.send_attempt_audit WHERE audit_id = %s", (audit_id,)).fetchone()


def sends_of(conn, cid):
    return conn.execute("SELECT count(*) FROM outreach.send_log WHERE company_unique_id = %s", (cid,)).fetchone()[0]


def audits_of(conn, cid):
    return conn.execute("SELECT count(*) FROM outreach.send_attempt_audit WHERE company_unique_id = %s",
                        (cid,)).fetchone()[0]


@pytest.fixture
def sender(login_role):
    """A connection as a LOGIN member of outreach_sender only."""
    return login_role("outreach_sender")[1]


# ------------------------------------------------------------------ one send
def test_success_records_the_send_with_the_gates_audit_id(conn, sender):
    cid = new_id("SND-OK")
    make_company(conn, cid=cid)
    tid, _oid = target_of(conn, cid)
    camp = create_campaign(conn, new_id("CMP"), delays=(0, 3))
    provider = Provider()
    send_id = execute_send(sender, cid, camp, step_id(conn, camp, 1), provider, correlation_id="corr-ok")

    assert len(provider.calls) == 1
    call = provider.calls[0]
    assert set(call) == {"company_unique_id", "campaign_id", "sequence_id", "audit_id", "correlation_id", "channel",
                         "target_id", "person_id"}
    assert (call["company_unique_id"], call["campaign_id"], call["target_id"], call["channel"]) == (cid, camp, tid, "EMAIL")
    row = conn.execute("SELECT gate_audit_id, target_id, campaign_id, sequence_id, channel FROM outreach.send_log"
                       " WHERE send_id = %s", (send_id,)).fetchone()
    assert row == (call["audit_id"], tid, camp, step_id(conn, camp, 1), "EMAIL")
    assert audit(conn, call["audit_id"]) == (False, None, False, "corr-ok", camp, "EMAIL")
    assert status_of(conn, cid) == "active"
    assert sender.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_a_failing_provider_leaves_no_send_but_the_attempt_is_audited(conn, sender):
    cid = new_id("SND-FAIL")
    make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"))
    provider = Provider(fail=RuntimeError("SMTP 421: try again later"))
    with pytest.raises(RuntimeError, match="SMTP 421"):
        execute_send(sender, cid, camp, step_id(conn, camp, 1), provider)
    assert len(provider.calls) == 1
    assert sends_of(conn, cid) == 0
    was_blocked, reason, dry, *_ = audit(conn, provider.calls[0]["audit_id"])
    assert (was_blocked, reason, dry) == (False, None, False), "the audit row shows the (passing) attempt"
    assert status_of(conn, cid) == "queued", "no send, no status change"
    # and the next attempt works: a fresh gate pass, one send
    ok = Provider()
    execute_send(sender, cid, camp, step_id(conn, camp, 1), ok)
    assert sends_of(conn, cid) == 1 and audits_of(conn, cid) == 2


@pytest.mark.parametrize("case, error, reason", [
    ("block_outreach", MarketingDisabledError, "MARKETING_DISABLED"),
    ("block_email", BlockingOverrideError, "BLOCKING_OVERRIDE"),
    ("tier_0", IneligibleTierError, "TIER_BELOW_CAMPAIGN_MINIMUM"),
    ("ineligible", IneligibleTierError, "COMPANY_INELIGIBLE"),
    ("opted_out", BlockingOverrideError, "OPTED_OUT"),
    ("paused_campaign", CampaignNotActiveError, "CAMPAIGN_NOT_ACTIVE"),
    ("unknown_campaign", EligibilityCheckFailedError, "ELIGIBILITY_CHECK_FAILED"),
    ("no_target", EligibilityCheckFailedError, "ELIGIBILITY_CHECK_FAILED"),
])
def test_a_blocked_gate_raises_and_never_calls_the_provider(conn, sender, case, error, reason):
    cid = new_id("SND-BLK")
    if case == "no_target":
        conn.execute("SELECT cl.fn_register_company(%s, 'x', 'x.example')", (cid,))
        conn.execute("SELECT outreach.fn_mint_outreach_id(%s)", (cid,))
    else:
        make_company(conn, 0 if case == "tier_0" else 1, cid=cid,
                     eligibility="INELIGIBLE" if case == "ineligible" else "ELIGIBLE")
    camp = create_campaign(conn, new_id("CMP"), min_tier=0 if case == "no_target" else 1,
                           status="paused" if case == "paused_campaign" else "active")
    seq = step_id(conn, camp, 1)
    if case == "block_outreach":
        override(conn, cid, "BLOCK_OUTREACH")
    elif case == "block_email":
        override(conn, cid, "BLOCK_EMAIL")
    elif case == "opted_out":
        conn.execute("SELECT outreach.fn_set_outreach_status(target_id, 'opted_out', 'test')"
                     " FROM outreach.company_target WHERE company_unique_id = %s", (cid,))
    elif case == "unknown_campaign":
        camp, seq = "NO-SUCH-CAMPAIGN", None
    provider = Provider()
    with pytest.raises(error) as ei:
        execute_send(sender, cid, camp, seq, provider)
    assert isinstance(ei.value, MarketingSafetyGateError)
    assert provider.calls == [], "perform_send must never be called on a block"
    assert sends_of(conn, cid) == 0
    assert ei.value.block_reason == reason
    was_blocked, got_reason, *_ = audit(conn, ei.value.audit_id)
    assert (was_blocked, got_reason) == (True, reason), "the blocked attempt is audited (committed)"


def test_blank_company_is_audited_and_refused(conn, sender):
    camp = create_campaign(conn, new_id("CMP"))
    provider = Provider()
    before = conn.execute("SELECT count(*) FROM outreach.send_attempt_audit").fetchone()[0]
    for blank in ("", "   ", None):
        with pytest.raises(EligibilityCheckFailedError):
            execute_send(sender, blank, camp, None, provider)
    assert provider.calls == []
    assert conn.execute("SELECT count(*) FROM outreach.send_attempt_audit").fetchone()[0] == before + 3


def test_a_step_of_another_campaign_is_refused_before_the_gate(conn, sender):
    cid = new_id("SND-STEP")
    make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"))
    other = create_campaign(conn, new_id("CMP"))
    provider = Provider()
    with pytest.raises(SendError, match="not a step of campaign"):
        execute_send(sender, cid, camp, step_id(conn, other, 1), provider)
    assert provider.calls == [] and sends_of(conn, cid) == 0 and audits_of(conn, cid) == 0


def test_a_connection_inside_a_transaction_is_refused(conn, new_conn):
    cid = new_id("SND-TX")
    make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"))
    c = new_conn(autocommit=False)
    c.execute("SELECT 1")  # a transaction is open
    provider = Provider()
    with pytest.raises(SendError, match="idle connection"):
        execute_send(c, cid, camp, None, provider)
    assert provider.calls == [] and audits_of(conn, cid) == 0
    c.rollback()
    # an idle non-autocommit connection is fine, and is left idle
    execute_send(c, cid, camp, None, provider)
    assert sends_of(conn, cid) == 1
    assert c.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_an_opt_out_during_the_send_waits_for_the_record(conn, sender, new_conn):
    """The target unsubscribes while the provider is sending: the opt-out
    waits until the send is recorded (it happened first), then blocks every
    later send."""
    cid = new_id("SND-OPT")
    make_company(conn, cid=cid)
    tid, _oid = target_of(conn, cid)
    camp = create_campaign(conn, new_id("CMP"))
    other = new_conn()
    done = threading.Event()

    def opt_out():
        other.execute("SELECT outreach.fn_set_outreach_status(%s, 'opted_out', 'unsubscribed meanwhile')", (tid,))
        done.set()

    flipper = threading.Thread(target=opt_out)

    def during(_kwargs):
        flipper.start()
        time.sleep(0.5)
        assert not done.is_set(), "the opt-out must wait for the send in flight"

    send_id = execute_send(sender, cid, camp, None, Provider(during=during))
    flipper.join(10)
    assert done.is_set()
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE send_id = %s", (send_id,)).fetchone()[0] == 1
    assert status_of(conn, cid) == "opted_out"
    with pytest.raises(BlockingOverrideError) as ei:
        execute_send(sender, cid, camp, None, Provider())
    assert ei.value.block_reason == "OPTED_OUT"


def test_a_provider_slower_than_its_timeout_frees_the_kill_switch(conn, login_role):
    """provider_timeout bounds how long a kill-switch change waits for a
    send in flight: the server ends the send transaction, the change goes
    through, and execute_send says the send may have happened unrecorded."""
    cid = new_id("SND-SLOW")
    make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"))
    _, sender = login_role("outreach_sender")
    _, admin = login_role("outreach_override_admin")
    waited: list[float] = []

    def set_block():
        t0 = time.monotonic()
        admin.execute("SELECT outreach.set_marketing_override(%s, 'BLOCK_OUTREACH', 'stop now', 'ops')", (cid,))
        waited.append(time.monotonic() - t0)

    flipper = threading.Thread(target=set_block)

    def during(_kwargs):
        flipper.start()
        time.sleep(3.0)  # the provider hangs well past its timeout

    t0 = time.monotonic()
    with pytest.raises(SendNotRecordedError, match="25P03") as ei:
        execute_send(sender, cid, camp, None, Provider(during=during), provider_timeout=1.0)
    assert time.monotonic() - t0 >= 3.0
    flipper.join(10)
    assert waited and 0.5 < waited[0] < 2.5, f"the change waited {waited}s; the bound is the 1 s provider timeout"
    assert ei.value.audit_id is not None and sends_of(conn, cid) == 0
    assert sender.closed or sender.broken, "the server ended that session: the caller opens a new connection"


def test_bad_provider_timeout_is_refused(sender):
    for bad in (0, -1, "30", None, 10 ** 6):
        with pytest.raises(SendError, match="provider_timeout"):
            execute_send(sender, "X", "Y", None, Provider(), provider_timeout=bad)


def test_a_kill_switch_change_waits_for_the_send_in_flight(conn, sender, login_role):
    """A BLOCK_OUTREACH set while the provider sends waits for the send_log
    row (so the send is recorded), then blocks every later gate check."""
    cid = new_id("SND-KS")
    make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"))
    _, admin = login_role("outreach_override_admin")
    done = threading.Event()
    started = threading.Event()

    def set_block():
        started.set()
        admin.execute("SELECT outreach.set_marketing_override(%s, 'BLOCK_OUTREACH', 'stop now', 'ops')", (cid,))
        done.set()

    flipper = threading.Thread(target=set_block)

    def during(_kwargs):
        flipper.start()
        started.wait(5)
        time.sleep(0.5)
        assert not done.is_set(), "the kill switch change must wait for the send in flight"

    provider = Provider(during=during)
    send_id = execute_send(sender, cid, camp, None, provider)
    flipper.join(10)
    assert done.is_set(), "the change goes through once the send is recorded"
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE send_id = %s", (send_id,)).fetchone()[0] == 1
    with pytest.raises(MarketingDisabledError):
        execute_send(sender, cid, camp, None, Provider())
    change_at = conn.execute("SELECT max(occurred_at) FROM outreach.override_audit_log WHERE company_unique_id = %s",
                             (cid,)).fetchone()[0]
    attempt_at = conn.execute("SELECT a.attempt_timestamp FROM outreach.send_log s JOIN outreach.send_attempt_audit a"
                              " ON a.audit_id = s.gate_audit_id WHERE s.send_id = %s", (send_id,)).fetchone()[0]
    assert attempt_at < change_at


def test_the_walkthrough_plan_send_plan(conn, sender):
    """Plan, send every planned row through execute_send, plan again later."""
    cids = [new_id("SND-WALK") for _ in range(3)]
    for cid in cids:
        make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"), delays=(0, 2))
    mine = "SELECT company_unique_id, sequence_id, step_number FROM outreach.fn_plan_campaign_sends(%s, 100000, {})" \
           " WHERE company_unique_id = ANY(%s)"
    plan = sender.execute(mine.format("now()"), (camp, cids)).fetchall()
    assert sorted(r[0] for r in plan) == sorted(cids) and {r[2] for r in plan} == {1}
    for cid, seq, _step in plan:
        execute_send(sender, cid, camp, seq, Provider())
    assert {status_of(conn, c) for c in cids} == {"active"}
    assert sender.execute(mine.format("now()"), (camp, cids)).fetchall() == []
    later = sender.execute(mine.format("now() + interval '2 days 1 minute'"), (camp, cids)).fetchall()
    assert sorted(r[0] for r in later) == sorted(cids) and {r[2] for r in later} == {2}
    for cid, seq, _step in later:
        execute_send(sender, cid, camp, seq, Provider())
    assert {status_of(conn, c) for c in cids} == {"exhausted"}


# ------------------------------------------------------------------ 8 threads, flipping overrides
def test_eight_threads_while_overrides_flip(conn, login_role, new_conn):
    companies = [new_id("SND-MT") for _ in range(12)]
    flipped = companies[:6]
    for cid in companies:
        make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"))
    sender_role, _ = login_role("outreach_sender")
    senders = [new_conn(user=sender_role) for _ in range(8)]
    _, admin = login_role("outreach_override_admin")
    provider = Provider(pause=0.003)
    result = senders_racing_a_flipper(senders, admin, companies, flipped, camp, step_id(conn, camp, 1), provider, seconds=6)
    assert_every_send_was_safe(conn, camp, result, provider, flipped)
    kinds = [o[0] for o in result["outcomes"]]
    assert kinds.count("sent") > 50 and kinds.count("blocked") > 5, (kinds.count("sent"), kinds.count("blocked"))


# ------------------------------------------------------------------ concurrent sends to one target
def test_overlapping_final_steps_of_two_campaigns_exhaust_the_target(conn, new_conn):
    """Two sends to one target overlap, each the final step of a different
    campaign, neither seeing the other's uncommitted row: the second waits at
    the target lock for the first, then sees it, so the target ends up
    exhausted (and nothing deadlocks)."""
    camp_a = create_campaign(conn, new_id("CMP-A"), delays=(0, 0))
    camp_b = create_campaign(conn, new_id("CMP-B"), delays=(0, 0))
    companies = [new_id("SND-CC") for _ in range(4)]
    for cid in companies:
        make_company(conn, cid=cid)
        for camp in (camp_a, camp_b):
            execute_send(conn, cid, camp, step_id(conn, camp, 1), Provider())
    assert {status_of(conn, cid) for cid in companies} == {"active"}

    first, second = new_conn(), new_conn()
    errors: list[str] = []

    def insert(c, cid, camp, aid, hold):
        try:
            with c.transaction():
                c.execute("INSERT INTO outreach.send_log (company_unique_id, campaign_id, sequence_id, channel,"
                          " gate_audit_id) VALUES (%s, %s, %s, 'EMAIL', %s)", (cid, camp, step_id(c, camp, 2), aid))
                time.sleep(hold)
        except Exception as e:  # noqa: BLE001
            errors.append(f"{type(e).__name__}: {e}")

    for cid in companies:
        verdicts = [conn.execute("SELECT audit_id FROM outreach.fn_safety_gate_check(%s, %s, 'cc', 'EMAIL')"
                                 " WHERE is_eligible", (cid, camp)).fetchone()[0] for camp in (camp_a, camp_b)]
        t1 = threading.Thread(target=insert, args=(first, cid, camp_a, verdicts[0], 0.4))
        t2 = threading.Thread(target=insert, args=(second, cid, camp_b, verdicts[1], 0.0))
        t1.start()
        time.sleep(0.1)
        t2.start()
        t1.join(30)
        t2.join(30)
    assert errors == []
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE company_unique_id = ANY(%s)",
                        (companies,)).fetchone()[0] == 4 * len(companies)
    assert {status_of(conn, cid) for cid in companies} == {"exhausted"}


def test_many_threads_sending_to_one_company(conn, login_role, new_conn):
    """8 threads, one company: every send recorded, no deadlock."""
    cid = new_id("SND-ONE")
    make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"))
    role, _ = login_role("outreach_sender")
    results, errors = race(new_conn, 8, lambda c: [execute_send(c, cid, camp, None, Provider()) for _ in range(5)],
                           user=role)
    assert errors == []
    assert sends_of(conn, cid) == len({send_id for sends in results for send_id in sends}) == 40
    assert status_of(conn, cid) == "active"
