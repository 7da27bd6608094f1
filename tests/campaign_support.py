"""Helpers of the campaign tests (tests/test_campaign_*.py): BIT scores,
campaigns, sends (companies come from helpers.make_company)."""
from __future__ import annotations

import json
import uuid

import psycopg


def set_score(conn: psycopg.Connection, cid: str, points: float) -> None:
    """A BIT score of exactly `points` (one undecayed signal now)."""
    with conn.transaction():
        conn.execute("SELECT outreach.fn_add_bit_signal(%s, 'DOL_RENEWAL_PROXIMITY', now(), %s, %s)",
                     (cid, f"test-{uuid.uuid4().hex[:8]}", points))
        conn.execute("SELECT outreach.fn_refresh_bit_scores(ARRAY[(SELECT outreach_id FROM outreach.outreach"
                     " WHERE company_unique_id = %s)], now())", (cid,))


def create_campaign(conn: psycopg.Connection, campaign_id: str, channel: str = "EMAIL", min_tier: int = 1,
                    delays=(0,), status: str = "active") -> str:
    steps = [{"template_id": f"t{n}", "delay_days": d} for n, d in enumerate(delays, 1)]
    with conn.transaction():
        conn.execute("SELECT outreach.fn_create_campaign(%s, %s, %s, %s::jsonb, %s, %s)",
                     (campaign_id, f"Campaign {campaign_id}", channel, json.dumps(steps), min_tier, status))
    return campaign_id


def step_id(conn: psycopg.Connection, campaign_id: str, step: int) -> int:
    return conn.execute("SELECT sequence_id FROM outreach.sequences WHERE campaign_id = %s AND step_number = %s",
                        (campaign_id, step)).fetchone()[0]


def status_of(conn: psycopg.Connection, cid: str) -> str:
    return conn.execute("SELECT outreach_status FROM outreach.company_target WHERE company_unique_id = %s",
                        (cid,)).fetchone()[0]


def override(conn: psycopg.Connection, cid: str, otype: str, cap: int | None = None) -> None:
    conn.execute("SELECT outreach.set_marketing_override(%s, %s, 'test', 'tester', %s)", (cid, otype, cap))


def remove_override(conn: psycopg.Connection, cid: str, otype: str) -> None:
    conn.execute("SELECT outreach.remove_marketing_override(%s, %s, 'test', 'tester')", (cid, otype))
