"""Helpers of the outbox tests (tests/test_outbox_*.py): reading a company's
events, recording a send the way execute_send does, claiming and
acknowledging."""
from __future__ import annotations

import psycopg


def events(conn: psycopg.Connection, cid: str, destination: str | None = None) -> list[tuple]:
    """(destination, event_type, payload) of a company's events, in event_id order."""
    return conn.execute("SELECT destination, event_type, payload FROM outreach.outbox_events"
                        " WHERE company_unique_id = %s AND (%s::text IS NULL OR destination = %s::text)"
                        " ORDER BY event_id", (cid, destination, destination)).fetchall()


def tiers(conn: psycopg.Connection, cid: str) -> list[tuple]:
    """(previous_tier, effective_tier, cause) of a company's TIER_CHANGED events."""
    return [(p["previous_tier"], p["effective_tier"], p["cause"])
            for _d, t, p in events(conn, cid, "cl") if t == "TIER_CHANGED"]


def send(conn: psycopg.Connection, cid: str, campaign: str, sequence_id: int | None) -> int:
    """A gate pass and its send_log row, committed (as execute_send records a send)."""
    with conn.transaction():
        audit_id, ok = conn.execute("SELECT audit_id, is_eligible FROM outreach.fn_safety_gate_check(%s, %s, %s)",
                                    (cid, campaign, f"test-{cid}")).fetchone()
        assert ok, f"the gate refused {cid}"
        return conn.execute("INSERT INTO outreach.send_log (company_unique_id, campaign_id, sequence_id, channel,"
                            " gate_audit_id) VALUES (%s, %s, %s, 'EMAIL', %s) RETURNING send_id",
                            (cid, campaign, sequence_id, audit_id)).fetchone()[0]


def engage(conn: psycopg.Connection, send_id: int, event_type: str) -> int:
    """An engagement event on a send; returns its event_id."""
    return conn.execute("INSERT INTO outreach.engagement_events (send_id, outreach_id, company_unique_id, target_id,"
                        " event_type) SELECT send_id, outreach_id, company_unique_id, target_id, %s"
                        " FROM outreach.send_log WHERE send_id = %s RETURNING event_id",
                        (event_type, send_id)).fetchone()[0]


def claim(conn: psycopg.Connection, consumer: str, destination: str, limit: int = 100,
          visibility: str = "60 seconds") -> list[tuple]:
    """(event_id, event_type, company_unique_id, attempt) of one claim, committed."""
    with conn.transaction():
        return conn.execute("SELECT event_id, event_type, company_unique_id, attempt"
                            " FROM outreach.fn_outbox_claim(%s, %s, %s, %s::interval)",
                            (consumer, destination, limit, visibility)).fetchall()


def ack(conn: psycopg.Connection, consumer: str, ids) -> int:
    with conn.transaction():
        return conn.execute("SELECT outreach.fn_outbox_ack(%s, %s::bigint[])", (consumer, list(ids))).fetchone()[0]


def nack(conn: psycopg.Connection, consumer: str, ids, retry_in: str = "0", error: str | None = None) -> int:
    with conn.transaction():
        return conn.execute("SELECT outreach.fn_outbox_nack(%s, %s::bigint[], %s::interval, %s)",
                            (consumer, list(ids), retry_in, error)).fetchone()[0]


def drain(conn: psycopg.Connection, consumer: str, destination: str, limit: int = 500) -> list[tuple]:
    """Claim and acknowledge until a claim comes back empty; returns what was claimed."""
    got = []
    while True:
        batch = claim(conn, consumer, destination, limit)
        if not batch:
            return got
        got += batch
        ack(conn, consumer, [b[0] for b in batch])
