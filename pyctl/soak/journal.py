"""Each client's journal: what the server acknowledged to it (a committed
result returned to the client), and how each of its operations went.

Outcomes of an operation:

* ok        the server committed it and said so: its results are acknowledged
* refused   the server answered with an error (or the gate blocked, or the
            provider failed): it rolled back, nothing of it was committed
* unknown   the connection broke (a terminated backend, a crash, a timeout
            that ends the session): it may or may not have committed, so
            nothing of it counts as acknowledged
* skipped   nothing to do (e.g. no send of its own to answer yet)

Only acknowledged results are checked against the database at the end
(invariant 3): an unknown outcome may have committed, a refused one must not
have, and neither is promised to the client.
"""
from __future__ import annotations

import statistics
import sys
from array import array
from collections import Counter, defaultdict, namedtuple
from dataclasses import dataclass, field

#: the kinds of acknowledged result a journal holds, with their fields
ACK_KINDS = {
    "gate": ("audit_id", "company", "campaign", "channel", "eligible"),
    "provider_call": ("audit_id", "company", "campaign", "channel"),
    "send": ("send_id", "audit_id", "company", "campaign"),
    "override_set": ("override_id", "company", "type", "tag"),
    "override_remove": ("company", "type", "tag", "removed"),
    "register": ("company", "eligibility"),
    "mint": ("company", "outreach_id"),
    "target": ("company", "target_id", "outreach_id"),
    "hub_status": ("company", "hub", "status", "tag"),
    "target_status": ("company", "target_id", "status", "tag"),
    "signal": ("company", "signal_id"),
    "error": ("table", "error_id"),
    "error_archived": ("table", "error_id"),
    "engagement": ("event_id", "send_id", "type"),
    "seal": ("table", "seal_id"),
    "orphan": ("company", "outreach_id"),
    "cascade": ("company", "outreach_id"),
}
#: one record type per kind (a tuple: a long run keeps about a million of them)
RECORDS = {kind: namedtuple(f"{kind}_ack", (*fields, "client")) for kind, fields in ACK_KINDS.items()}
#: fields whose few distinct values are shared between records
SHARED_FIELDS = {"company", "campaign", "channel", "table", "type", "hub", "status"}


def record(kind: str, client: int, fields: dict):
    """The record of one acknowledged result (values as JSON-friendly plain values)."""
    if kind not in ACK_KINDS or set(fields) != set(ACK_KINDS[kind]):
        raise ValueError(f"journal: {kind} takes {ACK_KINDS.get(kind)}, got {sorted(fields)}")
    return RECORDS[kind](*(_plain(fields[f], f in SHARED_FIELDS) for f in ACK_KINDS[kind]), client)


@dataclass
class OpStats:
    """How one operation went, over a run."""

    latencies: list[float] = field(default_factory=list)   # seconds, of the ok ones
    refused: Counter = field(default_factory=Counter)       # by SQLSTATE or reason
    unknown: int = 0
    skipped: int = 0

    def merge(self, other: "OpStats") -> None:
        self.latencies.extend(other.latencies)
        self.refused.update(other.refused)
        self.unknown += other.unknown
        self.skipped += other.skipped


class Journal:
    """One client's log (a client is one thread: no locking needed)."""

    def __init__(self, client: int):
        self.client = client
        self.acks: dict[str, list[dict]] = defaultdict(list)
        self.stats: dict[str, OpStats] = defaultdict(OpStats)
        #: seconds each acknowledged kill-switch change took (invariant 6)
        self.kill_switch_waits: list[float] = []
        self.statement_timeouts = 0
        #: the operations this client chose, in order (their index in clients.OPS)
        self.chosen = array("H")

    def ack(self, kind: str, **fields) -> None:
        self.acks[kind].append(record(kind, self.client, fields))

    def ok(self, op: str, seconds: float) -> None:
        self.stats[op].latencies.append(seconds)

    def refused(self, op: str, why: str) -> None:
        self.stats[op].refused[why] += 1

    def unknown(self, op: str) -> None:
        self.stats[op].unknown += 1

    def skipped(self, op: str) -> None:
        self.stats[op].skipped += 1


def _plain(v, shared: bool = False):
    """JSON-friendly values: uuids as text."""
    if v is None or isinstance(v, (bool, int, float)):
        return v
    return sys.intern(str(v)) if shared else str(v)


@dataclass
class Acks:
    """Every client's acknowledged results, merged: kind -> records."""

    by_kind: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))

    def __getitem__(self, kind: str) -> list[dict]:
        return self.by_kind.get(kind, [])


    @classmethod
    def merge(cls, journals: list[Journal]) -> "Acks":
        acks = cls()
        for j in journals:
            for kind, records in j.acks.items():
                acks.by_kind[kind].extend(records)
        return acks

    def to_json(self) -> dict:
        return {k: [r._asdict() for r in v] for k, v in self.by_kind.items()}

    @classmethod
    def from_json(cls, doc: dict) -> "Acks":
        acks = cls()
        for kind, records in doc.items():
            acks.by_kind[kind].extend(RECORDS[kind](**r) for r in records)
        return acks


def percentile(values: list[float], q: float) -> float | None:
    """The q-quantile (0..1) of `values`, by the nearest-rank method; None when empty."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q * len(s) + 0.5)) - 1))
    return s[k]


def op_figures(stats: dict[str, OpStats], seconds: float) -> list[dict]:
    """Invariant 7's figures: per operation, how many ended each way, how many
    per second, and the latency of the ok ones (median, p99, max) in ms."""
    rows = []
    for name in sorted(stats):
        s = stats[name]
        lat = s.latencies
        rows.append({
            "operation": name,
            "ok": len(lat),
            "refused": sum(s.refused.values()),
            "unknown": s.unknown,
            "skipped": s.skipped,
            "per_second": round(len(lat) / seconds, 2) if seconds > 0 else None,
            "median_ms": round(statistics.median(lat) * 1000, 2) if lat else None,
            "p99_ms": round(percentile(lat, 0.99) * 1000, 2) if lat else None,
            "max_ms": round(max(lat) * 1000, 2) if lat else None,
            "refused_by": dict(sorted(s.refused.items())),
        })
    return rows
