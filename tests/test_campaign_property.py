"""Property test of outreach.fn_plan_campaign_sends (docs/reference/gate.md): over random
campaigns (channel, min_tier, step delays), kill-switch overrides, target
statuses, send histories and planning times:

* every planned company passes the safety gate at plan time (a dry run);
* the plan is exactly the companies the gate clears whose status is queued or
  active and that have a step due (an independent model of the sequence), with
  that step;
* it is ordered by BIT score (NULL last), then company id.

Each example runs in one transaction that is rolled back."""
from __future__ import annotations

import json
import uuid
from datetime import timedelta

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from campaign_support import set_score
from helpers import make_company

POOL = [("PRP-01", 1, 80), ("PRP-02", 1, 40), ("PRP-03", 1, 40), ("PRP-04", 1, None), ("PRP-05", 1, 10),
        ("PRP-06", 1, None), ("PRP-07", 1, 95), ("PRP-08", 0, 70), ("PRP-09", 1, 20)]
INELIGIBLE = ("PRP-10", 1, 99)
COMPANIES = [c for c, _t, _s in POOL] + [INELIGIBLE[0]]

OVERRIDES = st.sampled_from([None, ("BLOCK_EMAIL", None), ("BLOCK_PHONE", None), ("BLOCK_OUTREACH", None),
                             ("FORCE_TIER", -1), ("FORCE_TIER", 0), ("FORCE_TIER", 1)])
STATUSES = st.sampled_from([None, None, None, "active", "paused", "opted_out", "exhausted", "queued"])


@st.composite
def scenarios(draw):
    delays = draw(st.lists(st.integers(0, 4), min_size=1, max_size=3))
    companies = {}
    for cid in COMPANIES:
        sent = draw(st.integers(0, len(delays)))
        # days ago of each sent step, oldest first
        ages = sorted(draw(st.lists(st.floats(0, 10, allow_nan=False), min_size=sent, max_size=sent)), reverse=True)
        companies[cid] = {"ages": ages, "override": draw(OVERRIDES), "status": draw(STATUSES)}
    return {"channel": draw(st.sampled_from(["EMAIL", "PHONE"])), "min_tier": draw(st.integers(0, 1)),
            "delays": delays, "companies": companies,
            "as_of": draw(st.floats(-2, 12, allow_nan=False))}


@pytest.fixture(scope="module")
def tx(dsn):
    """The pool of companies (committed once), and a non-autocommit connection
    whose every example is rolled back."""
    with psycopg.connect(dsn, autocommit=True) as setup:
        for cid, tier, score in POOL:
            make_company(setup, tier, cid=cid)
            if score is not None:
                set_score(setup, cid, score)
        make_company(setup, 1, cid=INELIGIBLE[0], eligibility="INELIGIBLE")
        set_score(setup, INELIGIBLE[0], INELIGIBLE[2])
    c = psycopg.connect(dsn, autocommit=False)
    yield c
    c.close()


def gate(c, cid, camp, channel, dry=True):
    return c.execute("SELECT audit_id, is_eligible, block_reason FROM outreach.fn_safety_gate_check(%s, %s, %s, %s, %s)",
                     (cid, camp, "prop-test", channel, dry)).fetchone()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=scenarios())
def test_every_planned_send_passes_the_gate_and_the_plan_is_complete(tx, sc):
    c = tx
    try:
        now = c.execute("SELECT now()").fetchone()[0]
        camp = f"PROP-{uuid.uuid4().hex[:10]}"
        steps = [{"template_id": f"t{i}", "delay_days": d} for i, d in enumerate(sc["delays"], 1)]
        c.execute("SELECT outreach.fn_create_campaign(%s, 'prop', %s, %s::jsonb, %s, 'active')",
                  (camp, sc["channel"], json.dumps(steps), sc["min_tier"]))
        seq = dict(c.execute("SELECT step_number, sequence_id FROM outreach.sequences WHERE campaign_id = %s",
                             (camp,)).fetchall())

        # 1. send history, through the gate (companies it blocks get none)
        history: dict[str, list] = {}
        for cid, spec in sc["companies"].items():
            history[cid] = []
            for step, age in enumerate(spec["ages"], 1):
                audit_id, ok, _reason = gate(c, cid, camp, sc["channel"], dry=False)
                if not ok:
                    break
                at = now - timedelta(days=age)
                c.execute("INSERT INTO outreach.send_log (company_unique_id, campaign_id, sequence_id, channel,"
                          " gate_audit_id, sent_at) VALUES (%s, %s, %s, %s, %s, %s)",
                          (cid, camp, seq[step], sc["channel"], audit_id, at))
                history[cid].append((step, at))
        # 2. statuses and overrides
        for cid, spec in sc["companies"].items():
            if spec["status"]:
                c.execute("SELECT outreach.fn_set_outreach_status(target_id, %s, 'prop') FROM outreach.company_target"
                          " WHERE company_unique_id = %s", (spec["status"], cid))
            if spec["override"]:
                otype, cap = spec["override"]
                c.execute("SELECT outreach.set_marketing_override(%s, %s, 'prop', 'prop', %s)", (cid, otype, cap))

        # 3. the plan
        as_of = now + timedelta(days=sc["as_of"])
        plan = c.execute("SELECT company_unique_id, step_number, sequence_id, bit_score FROM"
                         " outreach.fn_plan_campaign_sends(%s, 1000, %s)", (camp, as_of)).fetchall()

        # every planned company passes the gate now
        for cid, _step, _seq, _score in plan:
            _aid, ok, reason = gate(c, cid, camp, sc["channel"])
            assert ok, f"{cid} planned but the gate blocks it: {reason}"

        # the model: gate-cleared, queued/active, and a step due as of as_of
        status = dict(c.execute("SELECT company_unique_id, outreach_status FROM outreach.company_target"
                                " WHERE company_unique_id = ANY(%s)", (COMPANIES,)).fetchall())
        expected = {}
        for cid in COMPANIES:
            if status[cid] not in ("queued", "active") or not gate(c, cid, camp, sc["channel"])[1]:
                continue
            sent = [(s, at) for s, at in history[cid] if at <= as_of]
            if not sent:
                expected[cid] = 1
                continue
            last, last_at = max(sent)
            if last < len(sc["delays"]) and last_at + timedelta(days=sc["delays"][last]) <= as_of:
                expected[cid] = last + 1
        assert {cid: step for cid, step, _seq, _score in plan} == expected
        assert all(seq[step] == sid for _cid, step, sid, _score in plan)
        # BIT first, NULL last, then company id
        keys = [(score is None, -(score or 0), cid) for cid, _step, _sid, score in plan]
        assert keys == sorted(keys)
    finally:
        c.rollback()
