"""The invariants a soak run checks at the end, from the database and the
clients' journals. Each is one function registered with @invariant; it
returns its violations (one line each) and its figures, and reads the
database through `Evidence` (one REPEATABLE READ snapshot, cached queries).
Adding an invariant is adding one such function (8 below is the shortest).

The eight (docs/soak.md says how each is judged):
1 no unsafe send, 2 no identity fork, 3 nothing acknowledged is lost,
4 no error row in two places, 5 seals verify (after each crash recovery and
at the end), 6 the kill switch's wait stays under its bound, 7 throughput
(and the workload ran), 8 the maintained eligibility row equals its
from-scratch computation.
"""
from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Callable

import psycopg
from psycopg import sql

from pyctl.soak.journal import Acks, op_figures, percentile

#: violation lines kept per invariant (the count is always complete)
MAX_SHOWN = 50
#: a verdict clears a send for this long (the send_log guard's rule, docs/reference/gate.md)
VERDICT_LIFETIME = timedelta(minutes=15)
ABSENT = None


@dataclass
class Finding:
    violations: list[str] = field(default_factory=list)
    figures: dict = field(default_factory=dict)


@dataclass
class Verdict:
    number: int
    name: str
    title: str
    ok: bool
    violation_count: int
    violations: list[str]
    figures: dict

    def to_json(self) -> dict:
        return {"number": self.number, "name": self.name, "title": self.title, "ok": self.ok,
                "violation_count": self.violation_count, "violations": self.violations, "figures": self.figures}


@dataclass(frozen=True)
class Invariant:
    number: int
    name: str
    title: str
    check: Callable[["Evidence"], Finding]


INVARIANTS: list[Invariant] = []


def invariant(number: int, name: str, title: str):
    """Register a check: fn(ev: Evidence) -> Finding."""
    def register(fn):
        if any(i.number == number or i.name == name for i in INVARIANTS):
            raise ValueError(f"invariant {number} {name} is registered twice")
        INVARIANTS.append(Invariant(number, name, title, fn))
        INVARIANTS.sort(key=lambda i: i.number)
        return fn
    return register


class Evidence:
    """What the checks read: the run (its settings, ids, journals, crashes)
    and the database, in one snapshot."""

    def __init__(self, conn: psycopg.Connection, result):
        self.conn = conn
        self.result = result
        self.config = result.config
        self.universe = result.universe
        self.acks: Acks = result.acks
        self.like = result.universe.like()

    def query(self, query: str, params=None) -> list[tuple]:
        return self.conn.execute(query, params).fetchall()

    # ------------------------------------------------------------ the run's rows
    @cached_property
    def campaigns(self) -> dict[str, tuple[str, int]]:
        return {c: (ch, m) for c, ch, m in self.query(
            "SELECT campaign_id, channel, min_tier FROM outreach.campaigns WHERE campaign_id = ANY(%s)",
            (list(self.universe.campaigns),))}

    @cached_property
    def hubs(self) -> tuple[list[str], list[str]]:
        rows = self.query("SELECT hub_id, is_required FROM outreach.hub_registry ORDER BY display_order")
        return [h for h, r in rows if r], [h for h, r in rows if not r]

    @cached_property
    def sends(self) -> list[tuple]:
        """send_log rows of the run: (send_id, company, campaign, channel, gate_audit_id, sent_at)."""
        return self.query("SELECT send_id, company_unique_id, campaign_id, channel, gate_audit_id, sent_at"
                          " FROM outreach.send_log WHERE campaign_id = ANY(%s) ORDER BY send_id",
                          (list(self.universe.campaigns),))

    def audits(self, audit_ids: list[str]) -> dict[str, tuple]:
        """audit_id -> (company, campaign, channel, was_blocked, is_dry_run, attempt_timestamp)."""
        return {str(r[0]): r[1:] for r in self.query(
            "SELECT audit_id, company_unique_id, campaign_id, channel, was_blocked, is_dry_run, attempt_timestamp"
            " FROM outreach.send_attempt_audit WHERE audit_id = ANY(%s::uuid[])", (audit_ids,))}

    @cached_property
    def cl_history(self) -> dict[str, "Timeline"]:
        t = defaultdict(Timeline)
        for cid, at, elig, oid, op in self.query(
                "SELECT company_unique_id, changed_at, eligibility_status, outreach_id, operation"
                " FROM cl.company_identity_history WHERE company_unique_id LIKE %s ORDER BY history_id",
                (self.like,)):
            t[cid].add(at, (elig, oid) if op != "DELETE" else ABSENT)
        return t

    @cached_property
    def hub_history(self) -> dict[tuple[str, str], "Timeline"]:
        t = defaultdict(Timeline)
        for cid, hub, at, status, reason in self.query(
                "SELECT company_unique_id, hub_id, changed_at, status, status_reason"
                " FROM outreach.company_hub_status_history WHERE company_unique_id LIKE %s ORDER BY history_id",
                (self.like,)):
            t[(cid, hub)].add(at, (status, reason) if status is not None else ABSENT)
        return t

    @cached_property
    def target_history(self) -> dict[str, "Timeline"]:
        t = defaultdict(Timeline)
        for cid, tid, at, status, reason in self.query(
                "SELECT company_unique_id, target_id, changed_at, outreach_status, status_reason"
                " FROM outreach.company_target_status_history WHERE company_unique_id LIKE %s ORDER BY history_id",
                (self.like,)):
            t[cid].add(at, (tid, status, reason) if status is not None else ABSENT)
        return t

    @cached_property
    def override_log(self) -> dict[tuple[str, str], list[tuple]]:
        """(company, type) -> [(occurred_at, audit_id, action, override_id, tier_cap, expires_at, reason)] in order."""
        log = defaultdict(list)
        for row in self.query(
                "SELECT company_unique_id, override_type, occurred_at, audit_id, action, override_id, tier_cap,"
                " expires_at, reason FROM outreach.override_audit_log WHERE company_unique_id LIKE %s"
                " ORDER BY occurred_at, audit_id", (self.like,)):
            log[(row[0], row[1])].append(row[2:])
        return log

    @cached_property
    def override_times(self) -> dict[tuple[str, str], list]:
        """(company, type) -> the occurred_at of each row of override_log, for bisecting."""
        return {k: [r[0] for r in rows] for k, rows in self.override_log.items()}

    @cached_property
    def archived_outreach_ids(self) -> dict[str, str]:
        """outreach_id -> archive, of the run's companies (spine rows a cascade removed)."""
        return {str(oid): arch for oid, arch in self.query(
            "SELECT outreach_id, 'outreach_archive' FROM outreach.outreach_archive WHERE company_unique_id LIKE %s"
            " UNION ALL SELECT outreach_id, 'outreach_orphan_archive' FROM outreach.outreach_orphan_archive"
            " WHERE company_unique_id LIKE %s", (self.like, self.like))}

    @cached_property
    def archived_companies(self) -> set[str]:
        return {r[0] for r in self.query(
            "SELECT company_unique_id FROM outreach.outreach_archive WHERE company_unique_id LIKE %s"
            " UNION SELECT company_unique_id FROM outreach.outreach_orphan_archive WHERE company_unique_id LIKE %s",
            (self.like, self.like))}

    def count(self, query: str, params=None) -> int:
        return self.query(query, params)[0][0]


class Timeline:
    """One value over time: the history of one row (ordered by history_id,
    which follows changed_at for one row: its changes are serialised)."""

    def __init__(self):
        self.times: list = []
        self.values: list = []

    def add(self, at, value) -> None:
        self.times.append(at)
        self.values.append(value)

    def at(self, t):
        i = bisect.bisect_right(self.times, t)
        return self.values[i - 1] if i else ABSENT

    def window(self, a, b) -> list:
        """Every value the row may have had for a reader between a and b: the
        one at a, and each one recorded after a up to b."""
        i = bisect.bisect_right(self.times, a)
        j = bisect.bisect_right(self.times, b)
        return [self.values[i - 1] if i else ABSENT, *self.values[i:j]]

    @property
    def last(self):
        return self.values[-1] if self.values else ABSENT


def _shown(lines: list[str]) -> list[str]:
    return lines[:MAX_SHOWN]


# ================================================================= 1. no unsafe send
HUB_RANK = {"PASS": 2, "IN_PROGRESS": 1, ABSENT: 1, "FAIL": 0, "BLOCKED": 0}


def judge_send(ev: Evidence, company: str, campaign: str, channel: str, at, window: float) -> tuple[list[str], bool]:
    """Was `company` eligible for `campaign` on `channel` when its gate check
    ran at `at` (the verdict's attempt_timestamp)? Judged from the history
    tables and the kill switch's audit log, never from the verdict.

    Returns (the reasons it was not, empty when it was; whether the answer
    needed the window). A change recorded less than `window` seconds before
    `at` may not have been visible to the check yet (its transaction commits
    after its history row is written), so the judge takes, per input, the
    most favourable value the row had in [at - window, at]; the inputs are
    independent rows, and eligibility only improves when any one of them
    does. Kill-switch changes need no window: the gate and every change take
    the company's kill-switch lock, so a change's occurred_at is before the
    verdict's timestamp exactly when the verdict saw it. An override whose
    expiry falls within the check counts as expired (the gate reads now(),
    the start of its transaction)."""
    channel_campaign, min_tier = ev.campaigns.get(campaign, (None, None))
    if channel_campaign is None:
        return [f"campaign {campaign} is not one of the run's"], False
    reasons_strict = _eligibility(ev, company, channel, min_tier, at, at)
    if not reasons_strict:
        return [], False
    reasons = _eligibility(ev, company, channel, min_tier, at - timedelta(seconds=window), at)
    return reasons, not reasons


def _eligibility(ev: Evidence, company: str, channel: str, min_tier: int, a, b) -> list[str]:
    reasons = []
    cl = [v[0] if v is not ABSENT else ABSENT for v in ev.cl_history.get(company, Timeline()).window(a, b)]
    if "ELIGIBLE" not in cl:
        reasons.append(f"CL eligibility {'/'.join(str(v) for v in sorted(set(cl), key=str))}")
    targets = ev.target_history.get(company, Timeline()).window(a, b)
    if not any(v is not ABSENT and v[1] != "opted_out" for v in targets):
        reasons.append("target " + "/".join(sorted({"absent" if v is ABSENT else v[1] for v in targets})))
    required, optional = ev.hubs
    best = {}
    for hub in required + optional:
        values = ev.hub_history.get((company, hub), Timeline()).window(a, b)
        best[hub] = max(HUB_RANK.get(v if v is ABSENT else v[0], 1) for v in values)
    if any(best[h] == 0 for h in required):
        tier = -1
    elif any(best[h] < 2 for h in required):
        tier = 0
    elif any(best[h] < 2 for h in optional):
        tier = 1
    else:
        tier = 3   # 2 or 3: people data (tier 3) has no history; the run's campaigns ask for 2 at most
    blocks, cap = _overrides_at(ev, company, b)
    effective = tier if cap is None or tier < 0 else min(tier, cap)
    if tier < 0:
        reasons.append("computed tier -1 (" + ", ".join(h for h in required if best[h] == 0) + " FAIL/BLOCKED)")
    elif effective < min_tier:
        reasons.append(f"effective tier {effective} < campaign minimum {min_tier}"
                       + (f" (FORCE_TIER cap {cap})" if cap is not None and cap < tier else ""))
    if "BLOCK_OUTREACH" in blocks:
        reasons.append("BLOCK_OUTREACH active")
    if f"BLOCK_{channel}" in blocks:
        reasons.append(f"BLOCK_{channel} active")
    return reasons


def _overrides_at(ev: Evidence, company: str, at) -> tuple[set[str], int | None]:
    """The override types active at `at` and the FORCE_TIER cap, from the audit log."""
    active, cap = set(), None
    for kind in ("BLOCK_OUTREACH", "BLOCK_EMAIL", "BLOCK_PHONE", "FORCE_TIER"):
        log = ev.override_log.get((company, kind), [])
        i = bisect.bisect_right(ev.override_times.get((company, kind), []), at)
        if not i:
            continue
        _occurred, _aid, action, _oid, tier_cap, expires_at, _reason = log[i - 1]
        if action in ("SET", "REPLACE") and (expires_at is None or expires_at > at):
            active.add(kind)
            if kind == "FORCE_TIER":
                cap = tier_cap
    return active, cap


@invariant(1, "no_unsafe_send", "no unsafe send: every send and provider call was eligible at its gate check")
def no_unsafe_send(ev: Evidence) -> Finding:
    out = []
    judged = {}   # audit_id -> (what, company, campaign, channel, sent_at)
    for send_id, company, campaign, channel, audit_id, sent_at in ev.sends:
        judged[str(audit_id)] = (f"send {send_id}", company, campaign, channel, sent_at)
    provider_only = 0
    for call in ev.acks["provider_call"]:
        if call.audit_id not in judged:
            provider_only += 1
            judged[call.audit_id] = (f"unrecorded provider call (client {call.client})", call.company,
                                        call.campaign, call.channel, None)
    audits = ev.audits(list(judged))
    within_window = 0
    for audit_id, (what, company, campaign, channel, sent_at) in judged.items():
        a = audits.get(audit_id)
        if a is None:
            out.append(f"{what} to {company}: its gate verdict {audit_id} does not exist")
            continue
        a_company, a_campaign, a_channel, blocked, dry_run, at = a
        if blocked or dry_run:
            out.append(f"{what} to {company}: verdict {audit_id} was {'blocked' if blocked else 'a dry run'}")
        if (a_company, a_campaign, a_channel) != (company, campaign, channel):
            out.append(f"{what}: verdict {audit_id} was for {a_company}/{a_campaign}/{a_channel}, "
                       f"the send for {company}/{campaign}/{channel}")
        if sent_at is not None and not (at - timedelta(seconds=1) <= sent_at <= at + VERDICT_LIFETIME):
            out.append(f"{what} to {company}: sent at {sent_at}, verdict {audit_id} taken at {at}")
        reasons, windowed = judge_send(ev, company, campaign, channel, at, ev.config.judge_window)
        within_window += windowed
        if reasons:
            out.append(f"{what} to {company} in {campaign} ({channel}), gate check {audit_id} at {at}: "
                       f"not eligible: {'; '.join(reasons)}")
    history = _history_gaps(ev)
    return Finding(out + history, {
        "sends_judged": len(ev.sends), "unrecorded_provider_calls_judged": provider_only,
        "judged_within_window": within_window, "judge_window_seconds": ev.config.judge_window,
        "history_gaps": len(history)})


def _history_gaps(ev: Evidence) -> list[str]:
    """The history the judge relies on must end in the current state, for
    every row of the run; and every override row must have its audit rows."""
    out = []
    for cid, elig, oid in ev.query("SELECT company_unique_id, eligibility_status, outreach_id"
                                   " FROM cl.company_identity WHERE company_unique_id LIKE %s", (ev.like,)):
        last = ev.cl_history.get(cid, Timeline()).last
        if last != (elig, oid):
            out.append(f"history gap: CL row {cid} is ({elig}, {oid}), its history ends at {last}")
    current = {(cid, hub): (status, reason) for cid, hub, status, reason in ev.query(
        "SELECT company_unique_id, hub_id, status, status_reason FROM outreach.company_hub_status"
        " WHERE company_unique_id LIKE %s", (ev.like,))}
    for key in set(current) | set(ev.hub_history):
        last = ev.hub_history.get(key, Timeline()).last
        if current.get(key, ABSENT) != last:
            out.append(f"history gap: hub status {key[0]} {key[1]} is {current.get(key, 'absent')}, "
                       f"its history ends at {last if last is not ABSENT else 'absent'}")
    targets = {cid: (tid, status, reason) for tid, cid, status, reason in ev.query(
        "SELECT target_id, company_unique_id, outreach_status, status_reason FROM outreach.company_target"
        " WHERE company_unique_id LIKE %s", (ev.like,))}
    for cid in set(targets) | set(ev.target_history):
        last = ev.target_history.get(cid, Timeline()).last
        have = targets.get(cid, ABSENT)
        if (have if have is ABSENT else have[:2]) != (last if last is ABSENT else last[:2]):
            out.append(f"history gap: target of {cid} is {have if have is not ABSENT else 'absent'}, "
                       f"its history ends at {last if last is not ABSENT else 'absent'}")
    logged = {(str(r[3]), r[2]) for rows in ev.override_log.values() for r in rows}
    for oid, cid, removed in ev.query("SELECT override_id, company_unique_id, removed_at IS NOT NULL"
                                      " FROM outreach.manual_overrides WHERE company_unique_id LIKE %s", (ev.like,)):
        if (str(oid), "SET") not in logged and (str(oid), "REPLACE") not in logged:
            out.append(f"history gap: override {oid} of {cid} has no SET/REPLACE audit row")
        if removed and (str(oid), "REMOVE") not in logged:
            out.append(f"history gap: override {oid} of {cid} was removed without a REMOVE audit row")
    return out


# ================================================================= 2. no identity fork
@invariant(2, "no_identity_fork", "no identity fork: one outreach_id per company, ever; spine and CL aligned")
def no_identity_fork(ev: Evidence) -> Finding:
    out = []
    for cid, tl in ev.cl_history.items():
        ids = [v[1] for v in tl.values if v is not ABSENT]
        bound = {str(i) for i in ids if i is not None}
        if len(bound) > 1:
            out.append(f"company {cid} was bound to {len(bound)} outreach_ids: {sorted(bound)}")
        first = next((k for k, i in enumerate(ids) if i is not None), None)
        if first is not None and any(i is None for i in ids[first:]):
            out.append(f"company {cid} lost its outreach_id after it was bound")
    cl = {cid: (str(oid) if oid else None) for cid, oid in ev.query(
        "SELECT company_unique_id, outreach_id FROM cl.company_identity WHERE company_unique_id LIKE %s", (ev.like,))}
    spine = defaultdict(list)
    for oid, cid in ev.query("SELECT outreach_id, company_unique_id FROM outreach.outreach"
                             " WHERE company_unique_id LIKE %s", (ev.like,)):
        spine[cid].append(str(oid))
    # only the legacy loader writes spine rows CL does not bind, and only for
    # legacy companies (whether or not its client was told it committed)
    legacy = {ev.universe.company(i) for i in ev.universe.legacy_ids()}
    for cid, oids in spine.items():
        if len(oids) > 1:
            out.append(f"company {cid} has {len(oids)} spine rows")
        for oid in oids:
            if cl.get(cid) not in (None, oid):
                out.append(f"company {cid}: spine row {oid}, but CL binds {cl[cid]}")
            elif cl.get(cid) is None and cid not in legacy:
                out.append(f"company {cid}: spine row {oid} that CL does not bind, and no legacy loader writes it")
    for cid, oid in cl.items():
        if oid is not None and oid not in spine.get(cid, []):
            out.append(f"company {cid}: CL binds {oid}, which is not in the spine")
    bound_ids = {oid for oid in cl.values() if oid}
    for oid, archive in ev.archived_outreach_ids.items():
        if oid in bound_ids:
            out.append(f"outreach_id {oid}, bound by CL, was archived to {archive}")
    minted = defaultdict(set)
    for m in ev.acks["mint"] + ev.acks["target"]:
        minted[m.company].add(m.outreach_id)
    for cid, ids in minted.items():
        if len(ids) > 1:
            out.append(f"company {cid}: the minters were answered {len(ids)} different ids {sorted(ids)}")
    return Finding(out, {"companies": len(cl), "bound": len(bound_ids), "spine_rows": sum(map(len, spine.values())),
                         "archived_spine_rows": len(ev.archived_outreach_ids),
                         "acknowledged_mints": len(ev.acks["mint"])})


# ================================================================= 3. nothing acknowledged is lost
@invariant(3, "nothing_acknowledged_lost",
           "nothing acknowledged is lost: every verdict, override change, send and write a client was told of is there")
def nothing_acknowledged_lost(ev: Evidence) -> Finding:
    out = []
    acks = ev.acks
    archived = ev.archived_outreach_ids
    gates = acks["gate"]
    audits = ev.audits([g.audit_id for g in gates])
    for g in gates:
        a = audits.get(g.audit_id)
        if a is None:
            out.append(f"gate verdict {g.audit_id} ({g.company}, client {g.client}) has no audit row")
        elif (a[0], a[1], not a[3]) != (g.company, g.campaign, g.eligible):
            out.append(f"gate verdict {g.audit_id}: the client was told {g.company}/{g.campaign} "
                       f"eligible={g.eligible}, the audit row says {a[0]}/{a[1]} eligible={not a[3]}")

    sends = {s[0]: s for s in ev.sends}
    for s in acks["send"]:
        row = sends.get(s.send_id)
        if row is None:
            if not _cascaded(ev, s.company):
                out.append(f"acknowledged send {s.send_id} to {s.company} (client {s.client}) is gone")
        elif str(row[4]) != s.audit_id:
            out.append(f"send {s.send_id} names verdict {row[4]}, the client was told {s.audit_id}")

    by_tag = defaultdict(list)
    for rows in ev.override_log.values():
        for _at, _aid, action, oid, _cap, _exp, reason in rows:
            by_tag[reason].append((action, str(oid)))
    for o in acks["override_set"]:
        if not any(a in ("SET", "REPLACE") and oid == o.override_id for a, oid in by_tag.get(o.tag, [])):
            out.append(f"override {o.override_id} ({o.company} {o.type}, {o.tag}) has no SET/REPLACE "
                       "audit row")
    for o in acks["override_remove"]:
        n = sum(1 for a, _oid in by_tag.get(o.tag, []) if a == "REMOVE")
        if n != o.removed:
            out.append(f"removal of {o.company} {o.type} ({o.tag}) removed {o.removed}, "
                       f"{n} REMOVE audit rows")

    cl = {r[0] for r in ev.query("SELECT company_unique_id FROM cl.company_identity WHERE company_unique_id LIKE %s",
                                 (ev.like,))}
    for r in acks["register"]:
        if r.company not in cl:
            out.append(f"registered company {r.company} (client {r.client}) is not in CL")
    bound = {cid: str(oid) for cid, oid in ev.query(
        "SELECT company_unique_id, outreach_id FROM cl.company_identity"
        " WHERE company_unique_id LIKE %s AND outreach_id IS NOT NULL", (ev.like,))}
    for m in acks["mint"] + acks["target"]:
        if bound.get(m.company) != m.outreach_id:
            out.append(f"minted {m.company} -> {m.outreach_id} (client {m.client}), "
                       f"CL binds {bound.get(m.company)}")

    hub_tags = {(k[0], k[1], v[1], v[0]) for k, tl in ev.hub_history.items() for v in tl.values if v is not ABSENT}
    for h in acks["hub_status"]:
        if (h.company, h.hub, h.tag, h.status) not in hub_tags:
            out.append(f"hub status {h.company} {h.hub} {h.status} ({h.tag}) is not in the history")
    target_tags = {(cid, v[2], v[1]) for cid, tl in ev.target_history.items() for v in tl.values if v is not ABSENT}
    for t in acks["target_status"]:
        if (t.company, t.tag, t.status) not in target_tags:
            out.append(f"target status {t.company} {t.status} ({t.tag}) is not in the history")

    out += _rows_exist(ev, acks["signal"], "outreach.bit_signals", "signal_id", "signal")
    out += _rows_exist(ev, acks["engagement"], "outreach.engagement_events", "event_id", "engagement event")
    seals = {(t, s) for t, s in ev.query("SELECT table_name, seal_id FROM shq.audit_seals"
                                         " WHERE seal_id = ANY(%s)", ([s.seal_id for s in acks["seal"]],))}
    for s in acks["seal"]:
        if (s.table, s.seal_id) not in seals:
            out.append(f"seal {s.seal_id} of {s.table} is gone")
    spine_ids = {str(r[0]) for r in ev.query("SELECT outreach_id FROM outreach.outreach WHERE company_unique_id LIKE %s",
                                             (ev.like,))}
    for o in acks["orphan"]:
        if o.outreach_id not in spine_ids and o.outreach_id not in archived:
            out.append(f"legacy spine row {o.outreach_id} of {o.company} is neither in the spine nor archived")
    for o in acks["cascade"]:
        if archived.get(o.outreach_id) != "outreach_archive":
            out.append(f"cascaded spine row {o.outreach_id} of {o.company} is not in outreach_archive")
    # the governed errors: live or archived (invariant 4 says exactly one)
    places = _error_places(ev)
    for e in acks["error"]:
        if not places.get((e.table, e.error_id)):
            out.append(f"error {e.error_id} of {e.table} (client {e.client}) is neither live nor archived")
    for e in acks["error_archived"]:
        if "archive" not in places.get((e.table, e.error_id), set()):
            out.append(f"archived error {e.error_id} of {e.table} is not in its archive")
    return Finding(out, {kind: len(acks[kind]) for kind in sorted(acks.by_kind)})


def _cascaded(ev: Evidence, company: str | None) -> bool:
    """Did a cascade remove this company's spine row (and with it its sends,
    signals and engagement events)?"""
    return company in ev.archived_companies


def _rows_exist(ev: Evidence, acked: list[dict], table: str, key: str, what: str) -> list[str]:
    """Each acknowledged row of `table` (by `key`) is there, or its company was cascaded."""
    if not acked:
        return []
    schema, name = table.split(".")
    have = {r[0] for r in ev.query(sql.SQL("SELECT {k} FROM {t} WHERE {k} = ANY(%s)").format(
        k=sql.Identifier(key), t=sql.Identifier(schema, name)), ([getattr(a, key) for a in acked],))}
    company_of_send = {s.send_id: s.company for s in ev.acks["send"]}
    out = []
    for a in acked:
        company = getattr(a, "company", None) or company_of_send.get(getattr(a, "send_id", None))
        if getattr(a, key) not in have and not _cascaded(ev, company):
            out.append(f"acknowledged {what} {getattr(a, key)} (client {a.client}) is gone")
    return out


def _error_places(ev: Evidence) -> dict[tuple[str, int], set[str]]:
    """(table, error_id) -> {'live', 'archive'} for every error the run acknowledged."""
    ids = defaultdict(list)
    for e in ev.acks["error"] + ev.acks["error_archived"]:
        ids[e.table].append(e.error_id)
    places = defaultdict(set)
    for table, archive in ev.query("SELECT table_name, archive_table FROM shq.governed_error_tables"):
        if table not in ids:
            continue
        for place, t in (("live", table), ("archive", archive)):
            schema, name = t.split(".")
            for (eid,) in ev.query(sql.SQL("SELECT error_id FROM {} WHERE error_id = ANY(%s)").format(
                    sql.Identifier(schema, name)), (ids[table],)):
                places[(table, eid)].add(place)
    return places


# ================================================================= 4. no row in two places
@invariant(4, "no_row_in_two_places", "no row in two places: every governed error is live or archived, not both")
def no_row_in_two_places(ev: Evidence) -> Finding:
    out, tables = [], 0
    for table, archive in ev.query("SELECT table_name, archive_table FROM shq.governed_error_tables ORDER BY 1"):
        tables += 1
        (ls, ln), (as_, an) = table.split("."), archive.split(".")
        for (eid,) in ev.query(sql.SQL("SELECT l.error_id FROM {} l JOIN {} a USING (error_id) ORDER BY 1").format(
                sql.Identifier(ls, ln), sql.Identifier(as_, an))):
            out.append(f"error {eid} of {table} is both live and in {archive}")
    places = _error_places(ev)
    both = sum(1 for p in places.values() if len(p) > 1)
    return Finding(out, {"governed_tables": tables, "acknowledged_errors": len(ev.acks["error"]),
                         "acknowledged_archived": len(ev.acks["error_archived"]),
                         "acknowledged_in_two_places": both})


# ================================================================= 5. seals verify
@invariant(5, "seals_verify", "the seals verify after every crash recovery and at the end")
def seals_verify(ev: Evidence) -> Finding:
    out = []
    for k, c in enumerate(ev.result.crashes, 1):
        if c.error:
            out.append(f"crash {k} at {c.at}s: {c.error}")
        for table, status in sorted(c.seals.items()):
            if status != "OK":
                out.append(f"after crash {k} at {c.at}s: {table} {status}")
    final = ev.query("SELECT table_name, status, detail FROM shq.fn_verify_audit_seals() ORDER BY 1")
    for table, status, detail in final:
        if status != "OK":
            out.append(f"at the end: {table} {status}: {detail}")
    sealed = ev.count("SELECT count(*) FROM shq.audit_seals")
    return Finding(out, {"crash_recoveries_checked": len(ev.result.crashes), "tables": len(final),
                         "seals": sealed, "recovery_seconds": [c.recovery_seconds for c in ev.result.crashes]})


# ================================================================= 6. the kill switch's bound
@invariant(6, "kill_switch_bound", "the kill switch never waits behind the senders longer than its bound")
def kill_switch_bound(ev: Evidence) -> Finding:
    waits = ev.result.kill_switch_waits
    bound = ev.config.kill_switch_bound
    over = sorted((w for w in waits if w > bound), reverse=True)
    out = [f"a kill-switch change took {w:.3f}s (bound {bound:.3f}s)" for w in over]
    return Finding(out, {"changes": len(waits), "bound_seconds": bound,
                         "provider_timeout_seconds": ev.config.provider_timeout,
                         "max_wait_seconds": round(max(waits), 4) if waits else None,
                         "p99_wait_seconds": round(percentile(waits, 0.99), 4) if waits else None,
                         "median_wait_seconds": round(statistics.median(waits), 4) if waits else None})


# ================================================================= 7. throughput
@invariant(7, "throughput", "throughput per operation is reported (and the workload ran)")
def throughput(ev: Evidence) -> Finding:
    ops = op_figures(ev.result.op_stats(), ev.result.seconds)
    out = list(ev.result.client_failures)
    acks = ev.acks
    if not acks["gate"]:
        out.append("no gate verdict was acknowledged: the run exercised nothing")
    if not acks["send"]:
        out.append("no send was acknowledged: the run exercised nothing")
    return Finding(out, {"operations": ops, "acknowledged_per_second": round(
        sum(o["ok"] for o in ops) / ev.result.seconds, 1) if ev.result.seconds else None})


# ================================================================= 8. the maintained eligibility row
@invariant(8, "maintained_eligibility", "the maintained eligibility row equals a from-scratch computation")
def maintained_eligibility(ev: Evidence) -> Finding:
    """outreach.company_eligibility, kept by the input tables' triggers through
    every write, crash and fault of the run, against
    outreach.fn_company_eligibility_from_scratch (docs/maintained-eligibility.md)."""
    drift = ev.query("SELECT company_unique_id, maintained IS NULL, from_scratch IS NULL"
                     "  FROM outreach.fn_company_eligibility_drift() WHERE company_unique_id LIKE %s", (ev.like,))
    out = [f"company {c}: " + ("no maintained row" if no_row else "a maintained row for a company the spine no longer has"
                               if no_scratch else "maintained row differs from the from-scratch one")
           for c, no_row, no_scratch in drift]
    rows = ev.count("SELECT count(*) FROM outreach.company_eligibility WHERE company_unique_id LIKE %s", (ev.like,))
    return Finding(out, {"companies": rows, "drifted": len(drift)})


# ================================================================= running them
def check(result, dsn: str | None = None, only: list[str] | None = None) -> list[Verdict]:
    """Every registered invariant (or those named in `only`), on one snapshot
    of the database of `result` (or of `dsn`)."""
    verdicts = []
    with psycopg.connect(dsn or result.dsn, autocommit=False, connect_timeout=30) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        ev = Evidence(conn, result)
        for inv in INVARIANTS:
            if only and inv.name not in only:
                continue
            try:
                f = inv.check(ev)
                verdicts.append(Verdict(inv.number, inv.name, inv.title, not f.violations, len(f.violations),
                                        _shown(f.violations), f.figures))
            except psycopg.Error as e:
                conn.rollback()
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                ev = Evidence(conn, result)
                verdicts.append(Verdict(inv.number, inv.name, inv.title, False, 1,
                                        [f"the check could not run: {e.sqlstate}: {e}"], {}))
        conn.rollback()
    return verdicts
