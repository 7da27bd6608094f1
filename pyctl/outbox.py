"""The outbox from Python (docs/consuming-events.md): the state of its
consumers, and following a destination's events as they are written.

    status(conn) -> list[dict]            outreach.fn_outbox_status(), and the
                                          destinations nobody consumes
    status_lines(rows) / status_json(rows)
    tail(conn, destination, echo, ...)    LISTEN on the destination's channel
                                          and print each new event once

`pyctl outbox status|tail` (pyctl/commands/outbox.py) wrap these. A consumer
claims and acknowledges with outreach.fn_outbox_claim / fn_outbox_ack (SQL);
`tail` only reads (it needs SELECT on outreach.outbox_events: a member of
outreach_governor) and LISTEN, so it needs a direct connection, not one from
a transaction-mode pooler.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any, Callable

import psycopg
from psycopg.rows import dict_row

from pyctl.errors import PyctlError

STATUS_SQL = """
SELECT s.destination, s.consumer, s.backlog, s.in_flight, s.parked, s.oldest_unacked_at, s.last_claimed_at
  FROM outreach.fn_outbox_status() AS s
UNION ALL
-- a destination nobody consumes: its events wait for a first consumer
SELECT d.destination, NULL, (SELECT count(*) FROM outreach.outbox_events e WHERE e.destination = d.destination),
       0, 0, (SELECT min(e.recorded_at) FROM outreach.outbox_events e WHERE e.destination = d.destination), NULL
  FROM outreach.outbox_destinations d
 WHERE NOT EXISTS (SELECT 1 FROM outreach.outbox_consumers c WHERE c.destination = d.destination)
 ORDER BY 1, 2 NULLS FIRST
"""

CHANNEL_SQL = "SELECT channel FROM outreach.outbox_destinations WHERE destination = %s"

#: the events of a destination written by transactions not older than the
#: horizon, and the next horizon (the snapshot's xmin: every older
#: transaction has ended, so an event it wrote is visible now or never)
TAIL_SQL = """
SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS horizon,
       coalesce(jsonb_agg(jsonb_build_object('event_id', e.event_id, 'event_type', e.event_type,
                                             'company_unique_id', e.company_unique_id, 'outreach_id', e.outreach_id,
                                             'payload', e.payload, 'occurred_at', e.occurred_at,
                                             'recorded_at', e.recorded_at, 'tx', e.tx::text)
                          ORDER BY e.event_id) FILTER (WHERE e.event_id IS NOT NULL), '[]'::jsonb) AS events
  FROM (SELECT 1) AS one
  LEFT JOIN outreach.outbox_events e ON e.destination = %(destination)s AND e.tx >= %(horizon)s::xid8
"""


# ------------------------------------------------------------------ status
def status(conn: psycopg.Connection) -> list[dict]:
    """One row per consumer (backlog, in flight, parked, oldest unacknowledged,
    last claim) and one per destination without a consumer (consumer None,
    backlog = its events in the outbox)."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(STATUS_SQL, prepare=False).fetchall()


def _age(ts: datetime | None, now: datetime) -> str:
    if ts is None:
        return "-"
    seconds = max(0.0, (now - ts).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def status_lines(rows: list[dict]) -> list[str]:
    """The status as a text table."""
    now = datetime.now(timezone.utc)
    head = ("destination", "consumer", "backlog", "in_flight", "parked", "oldest_unacked", "last_claim")
    table = [head] + [(r["destination"], r["consumer"] or "(no consumer)", str(r["backlog"]), str(r["in_flight"]),
                       str(r["parked"]), _age(r["oldest_unacked_at"], now), _age(r["last_claimed_at"], now))
                      for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in table]
    lines.insert(1, "  ".join("-" * w for w in widths))
    parked = sum(r["parked"] for r in rows)
    if parked:
        lines.append(f"{parked} parked event(s): SELECT * FROM outreach.vw_outbox_parked")
    return lines


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def status_json(rows: list[dict]) -> str:
    return json.dumps({"consumers": [{k: _plain(v) for k, v in r.items()} for r in rows]}, indent=2)


# ------------------------------------------------------------------ tail
def channel_of(conn: psycopg.Connection, destination: str) -> str:
    """The LISTEN channel of a destination; PyctlError naming the known ones."""
    with conn.transaction():
        row = conn.execute(CHANNEL_SQL, (destination,), prepare=False).fetchone()
        if row is None:
            known = [r[0] for r in conn.execute("SELECT destination FROM outreach.outbox_destinations"
                                                " ORDER BY destination", prepare=False)]
            raise PyctlError(f"unknown outbox destination {destination!r}: use one of {', '.join(known)}")
    return row[0]


def tail(conn: psycopg.Connection, destination: str, echo: Callable[[dict], None], *, count: int | None = None,
         timeout: float | None = None, from_start: bool = False, poll: float = 5.0) -> int:
    """Print (echo) each event of `destination` once, as it commits: LISTEN on
    its channel, and on each notification (or every `poll` seconds) read the
    events committed since the last read. Stops after `count` events or
    `timeout` seconds without one (None: never). `from_start` prints the
    events already in the outbox first. `conn` must be a direct autocommit
    connection (LISTEN does not survive a transaction-mode pooler).
    Returns the number of events printed."""
    if not conn.autocommit:
        raise PyctlError("outbox tail needs an autocommit connection (LISTEN is delivered between transactions)")
    channel = channel_of(conn, destination)
    conn.execute(f"LISTEN {channel}", prepare=False)  # channel names are checked by the table's CHECK
    horizon = "0"
    seen: dict[int, str] = {}
    printed = 0
    if not from_start:
        # what is committed now is not news: remember it as seen
        horizon = conn.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text", prepare=False).fetchone()[0]
        horizon, events = conn.execute(TAIL_SQL, {"destination": destination, "horizon": horizon},
                                       prepare=False).fetchone()
        seen = {ev["event_id"]: ev["tx"] for ev in events}
    last_event = time.monotonic()
    try:
        while True:
            row = conn.execute(TAIL_SQL, {"destination": destination, "horizon": horizon}, prepare=False).fetchone()
            new_horizon, events = row
            for ev in events:
                if ev["event_id"] in seen:
                    continue
                seen[ev["event_id"]] = ev["tx"]
                echo(ev)
                printed += 1
                last_event = time.monotonic()
                if count is not None and printed >= count:
                    return printed
            # events of transactions older than the new horizon are final: forget them
            horizon = new_horizon
            seen = {k: tx for k, tx in seen.items() if int(tx) >= int(horizon)}
            remaining = None if timeout is None else timeout - (time.monotonic() - last_event)
            if remaining is not None and remaining <= 0:
                return printed
            wait = poll if remaining is None else min(poll, remaining)
            for _ in conn.notifies(timeout=wait, stop_after=1):
                pass
    finally:
        if not conn.closed:
            try:
                conn.execute(f"UNLISTEN {channel}", prepare=False)
            except psycopg.Error:
                pass


def event_line(ev: dict) -> str:
    """One event as a line of text."""
    return (f"{ev['event_id']}  {ev['recorded_at']}  {ev['event_type']:<14}  {ev['company_unique_id']}  "
            f"{json.dumps(ev['payload'], sort_keys=True)}")
