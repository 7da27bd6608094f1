"""Helpers of the campaign tests (tests/test_campaign_*.py): companies built up
to tier 0/1 through the sanctioned writers, BIT scores, campaigns, sends."""
from __future__ import annotations

import json
import uuid

import psycopg

REQUIRED_AFTER_TARGET = ("dol-filings", "people-intelligence", "talent-flow")


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def make_company(conn: psycopg.Connection, cid: str, tier: int = 1, eligibility: str = "ELIGIBLE") -> str:
    """Register `cid` with CL, create its Company Target and, for tier 1,
    complete the required hubs; returns the target_id. `conn` is autocommit
    (a superuser, standing in for CL and the hubs)."""
    with conn.transaction():
        conn.execute("SELECT cl.fn_register_company(%s, %s, %s, %s, 'VERIFIED')",
                     (cid, f"Company {cid}", f"{cid.lower()}.example.com", eligibility))
        tid = conn.execute("SELECT outreach.fn_create_company_target(%s)", (cid,)).fetchone()[0]
        if tier >= 1:
            oid = conn.execute("SELECT outreach_id FROM outreach.company_target WHERE target_id = %s",
                               (tid,)).fetchone()[0]
            conn.execute("SELECT outreach.fn_update_company_target(%s, 'ready', 'pattern', '{first}.{last}', 0.95, true)",
                         (tid,))
            conn.execute("SELECT outreach.fn_set_hub_status(%s, 'company-target', 'PASS', 'test')", (cid,))
            conn.execute("INSERT INTO outreach.dol (target_id, outreach_id, company_unique_id, ein, filing_present,"
                         " renewal_date) VALUES (%s, %s, %s, '12-3456789', true, '2026-06-30')", (tid, oid, cid))
            conn.execute("INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type,"
                         " is_filled, filled_at) VALUES (%s, %s, %s, 'CEO', true, now())", (tid, oid, cid))
            conn.execute("INSERT INTO outreach.talent_flow (target_id, outreach_id, company_unique_id, last_scan_at,"
                         " movements_detected) VALUES (%s, %s, %s, now(), 0)", (tid, oid, cid))
            for hub in REQUIRED_AFTER_TARGET:
                conn.execute("SELECT outreach.fn_set_hub_status(%s, %s, 'PASS', 'test')", (cid, hub))
    return tid


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
