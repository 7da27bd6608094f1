"""outreach.fn_plan_campaign_sends reads only the head of the score order when
that is enough (docs/reference/gate.md): whatever the BIT scores (ties, none),
kill-switch overrides and send history, the plan for p_limit k is the first k
rows of the plan of every company, and when overrides drop more of the head than
it allows for, the plan still reaches down to the companies below it.

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

COMPANIES = [f"PHD-{n:02d}" for n in range(1, 13)]
SCORES = st.sampled_from([None, 10, 25, 25, 40, 80])
OVERRIDES = st.sampled_from([None, None, None, ("BLOCK_EMAIL", None), ("BLOCK_OUTREACH", None), ("FORCE_TIER", 0)])


@pytest.fixture(scope="module")
def tx(dsn):
    """Twelve tier-1 companies (committed once, no score), and a non-autocommit
    connection whose every example is rolled back."""
    with psycopg.connect(dsn, autocommit=True) as setup:
        for cid in COMPANIES:
            make_company(setup, 1, cid=cid)
    c = psycopg.connect(dsn, autocommit=False)
    yield c
    c.close()


def plan(c, camp, limit, as_of=None):
    return c.execute("SELECT company_unique_id, outreach_id, target_id, sequence_id, step_number, bit_score,"
                     " effective_tier FROM outreach.fn_plan_campaign_sends(%s, %s, coalesce(%s, now()))",
                     (camp, limit, as_of)).fetchall()


def campaign(c, delays=(0, 2)) -> str:
    camp = f"PHD-{uuid.uuid4().hex[:10]}"
    steps = [{"template_id": f"t{i}", "delay_days": d} for i, d in enumerate(delays, 1)]
    c.execute("SELECT outreach.fn_create_campaign(%s, 'head', 'EMAIL', %s::jsonb, 1, 'active')",
              (camp, json.dumps(steps)))
    return camp


def send_step_one(c, cid, camp, days_ago):
    """Step 1 sent `days_ago` days ago, through the gate (False if it blocks)."""
    audit_id, ok = c.execute("SELECT audit_id, is_eligible FROM outreach.fn_safety_gate_check(%s, %s, 'head', 'EMAIL')",
                             (cid, camp)).fetchone()
    if ok:
        c.execute("INSERT INTO outreach.send_log (company_unique_id, campaign_id, sequence_id, channel, gate_audit_id,"
                  " sent_at) SELECT %s, %s, s.sequence_id, 'EMAIL', %s, now() - make_interval(days => %s)"
                  "  FROM outreach.sequences s WHERE s.campaign_id = %s AND s.step_number = 1",
                  (cid, camp, audit_id, days_ago, camp))
    return ok


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# the overrides and sends draw for all but the first company, which is always
# due and never blocked: otherwise about one example in 300 blocks the whole
# pool, and the plan would be empty, which proves nothing
@given(scores=st.lists(SCORES, min_size=len(COMPANIES), max_size=len(COMPANIES)),
       overrides=st.lists(OVERRIDES, min_size=len(COMPANIES) - 1, max_size=len(COMPANIES) - 1),
       sent=st.lists(st.sampled_from([None, None, 1, 3]), min_size=len(COMPANIES) - 1, max_size=len(COMPANIES) - 1))
def test_every_limited_plan_is_the_head_of_the_whole_plan(tx, scores, overrides, sent):
    c = tx
    overrides, sent = [None, *overrides], [None, *sent]
    try:
        camp = campaign(c)
        for cid, score, sent_days in zip(COMPANIES, scores, sent):
            if score is not None:
                set_score(c, cid, score)
            if sent_days is not None:  # step 1 sent: due again 2 days later
                send_step_one(c, cid, camp, sent_days)
        for cid, ov in zip(COMPANIES, overrides):
            if ov:
                c.execute("SELECT outreach.set_marketing_override(%s, %s, 'head', 'head', %s)", (cid, ov[0], ov[1]))
        whole = plan(c, camp, 1000)
        mine = [r for r in whole if r[0] in COMPANIES]
        assert mine, "the pool always has a company to plan"
        # highest score first, no score last, then company id
        assert [(r[5] is None, -(r[5] or 0), r[0]) for r in whole] == sorted((r[5] is None, -(r[5] or 0), r[0])
                                                                             for r in whole)
        for k in range(1, len(whole) + 2):
            assert plan(c, camp, k) == whole[:k], f"p_limit {k}"
    finally:
        c.rollback()


def test_overrides_that_drop_the_whole_head_still_plan_the_companies_below(tx):
    """The six best scores are blocked on the channel: the head the plan reads
    first (a little more than p_limit companies) holds none it may plan, so it
    goes on to every company and plans the two best unblocked ones."""
    c = tx
    try:
        camp = campaign(c)
        for n, cid in enumerate(COMPANIES):
            set_score(c, cid, 90 - 5 * n)
            if n < 6:
                c.execute("SELECT outreach.set_marketing_override(%s, 'BLOCK_EMAIL', 'head', 'head')", (cid,))
        got = [r[0] for r in plan(c, camp, 2) if r[0] in COMPANIES]
        assert got == COMPANIES[6:8]
        assert [r[5] for r in plan(c, camp, 2)][:2] == [60, 55]
    finally:
        c.rollback()


def test_ties_across_the_limit_are_broken_by_company_id(tx):
    c = tx
    try:
        camp = campaign(c)
        for cid in COMPANIES[:5]:
            set_score(c, cid, 50)
        set_score(c, COMPANIES[5], 60)
        # a company that was sent step 1 a day ago is not due (delay 2 days)
        assert send_step_one(c, COMPANIES[0], camp, 1)
        assert [r[0] for r in plan(c, camp, 3)] == [COMPANIES[5], COMPANIES[1], COMPANIES[2]]
        assert [r[0] for r in plan(c, camp, 5)] == [COMPANIES[5]] + COMPANIES[1:5]
        # two days later it is due again, with step 2
        later = c.execute("SELECT now() + interval '1 day 1 minute'").fetchone()[0]
        assert [(r[0], r[4]) for r in plan(c, camp, 3, later)] == [(COMPANIES[5], 1), (COMPANIES[0], 2),
                                                                   (COMPANIES[1], 1)]
    finally:
        c.rollback()
