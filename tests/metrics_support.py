"""The known data set of the metric tests (tests/test_metrics.py and
tests/test_exporter.py), and what every metric family must say about it.

`build_known_dataset(conn)` fills a fresh clone of the migrated template
through the sanctioned writers (plus a few raw inserts for rows the writers
date `now()`), seals the audit tables, makes one more gate check, and
refreshes the metric snapshots. `EXPECTED` lists each sample the families
export for it: (metric, labels) -> value, with AGE (0..120 s) and NOW (a Unix
time within 120 s) for the figures that depend on the clock and NAN for
unknowns; ("about", s) is within 120 s of s.
"""
from __future__ import annotations

import math
import re
import time

import psycopg

from campaign_support import create_campaign, override, remove_override, set_score

try:  # the shared builder of test companies (tests/helpers.py); earlier in campaign_support
    from helpers import make_company
except ImportError:
    from campaign_support import make_company

AGE = "age"          # seconds, 0 <= v < 120
NOW = "now"          # a Unix time within 120 s of the test
NAN = "nan"

CAMPAIGN = "K-CAMP"


def gate(conn: psycopg.Connection, cid: str, dry_run: bool = False) -> tuple:
    return conn.execute("SELECT audit_id, is_eligible, block_reason FROM outreach.fn_safety_gate_check(%s, %s, 'k', "
                        "'EMAIL', %s)", (cid, CAMPAIGN, dry_run)).fetchone()


def build_known_dataset(conn: psycopg.Connection) -> None:
    """Companies K-A, K-F at tier 1, K-B at tier 1 capped to 0, K-C at tier 0, K-D
    INELIGIBLE (tier -1), K-E in CL only; overrides, gate checks, one send with
    engagement (and an outbox consumer of its events), governed errors, a seal, a BIT score."""
    for cid in ("K-A", "K-B", "K-F"):
        make_company(conn, cid=cid, tier=1)
    make_company(conn, cid="K-C", tier=0)
    make_company(conn, cid="K-D", tier=0, eligibility="INELIGIBLE")
    conn.execute("SELECT cl.fn_register_company('K-E', 'Company K-E', 'k-e.example.com')")

    override(conn, "K-A", "BLOCK_EMAIL")
    override(conn, "K-B", "FORCE_TIER", 0)
    override(conn, "K-C", "BLOCK_PHONE")
    remove_override(conn, "K-C", "BLOCK_PHONE")
    conn.execute("SELECT outreach.set_marketing_override('K-D', 'BLOCK_OUTREACH', 'test', 'tester', NULL,"
                 " now() + interval '1 second')")
    create_campaign(conn, CAMPAIGN, min_tier=1)
    time.sleep(1.2)  # K-D's override has expired

    assert gate(conn, "K-A")[2] == "BLOCKING_OVERRIDE"
    assert gate(conn, "K-A")[2] == "BLOCKING_OVERRIDE"
    assert gate(conn, "K-B")[2] == "TIER_BELOW_CAMPAIGN_MINIMUM"
    assert gate(conn, "K-D")[2] == "COMPANY_INELIGIBLE"
    assert gate(conn, "K-NOPE")[2] == "ELIGIBILITY_CHECK_FAILED"
    cleared = gate(conn, "K-F")
    assert cleared[1] is True
    assert gate(conn, "K-F")[1] is True
    assert gate(conn, "K-F", dry_run=True)[1] is True                # dry runs are not counted
    conn.execute("INSERT INTO outreach.send_attempt_audit (company_unique_id, campaign_id, correlation_id, channel,"
                 " was_blocked, block_reason, is_dry_run, attempt_timestamp) VALUES"
                 " ('K-F', %(c)s, 'old', 'EMAIL', false, NULL, false, now() - interval '30 minutes'),"
                 " ('K-C', %(c)s, 'older', 'EMAIL', true, 'OPTED_OUT', false, now() - interval '2 hours')",
                 {"c": CAMPAIGN})

    # an analytics consumer from here on: it sees the send's 4 events (SEND, OPEN, OPEN, CLICK) and claims the first
    conn.execute("SELECT outreach.fn_outbox_register_consumer('k-bi', 'analytics', 5, 'latest')")
    send_id = conn.execute(
        "INSERT INTO outreach.send_log (company_unique_id, campaign_id, sequence_id, channel, gate_audit_id)"
        " SELECT 'K-F', %s, q.sequence_id, 'EMAIL', %s FROM outreach.sequences q"
        " WHERE q.campaign_id = %s AND q.step_number = 1 RETURNING send_id",
        (CAMPAIGN, cleared[0], CAMPAIGN)).fetchone()[0]
    for event in ("OPEN", "OPEN", "CLICK"):
        conn.execute("INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (%s, %s)", (send_id, event))
    assert len(conn.execute("SELECT * FROM outreach.fn_outbox_claim('k-bi', 'analytics', 1, '1 hour')").fetchall()) == 1

    oid_a = conn.execute("SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = 'K-A'").fetchone()[0]
    for _ in range(2):
        conn.execute("SELECT shq.fn_record_error('outreach.dol_errors', %s, 'TIMEOUT', 'test')", (oid_a,))
    conn.execute("INSERT INTO people.people_errors (outreach_id, failure_code, created_at, disposition, retry_count,"
                 " parked_at, parked_by, park_reason, escalation_level, escalated_at, retry_exhausted)"
                 " VALUES (%s, 'HTTP_404', now() - interval '10 days', 'PARKED', 3, now() - interval '9 days', 'test',"
                 " 'MAX_RETRIES_EXCEEDED', 3, now() - interval '2 days', true)", (oid_a,))
    conn.execute("INSERT INTO public.shq_error_log (failure_code, created_at, disposition, resolved_at)"
                 " VALUES ('PARSE_ERROR', now() - interval '3 days', 'RESOLVED', now() - interval '2 days')")

    set_score(conn, "K-F", 30)

    conn.execute("SELECT * FROM shq.fn_seal_audit_tables()").fetchall()
    assert gate(conn, "K-NOPE")[2] == "ELIGIBILITY_CHECK_FAILED"     # one unsealed audit row
    conn.execute("SELECT * FROM shq.fn_refresh_metrics_snapshot()").fetchall()


def _jobs(conn: psycopg.Connection) -> dict[str, float]:
    """The governance jobs and their periods in seconds (the one list: shq._governance_job_specs())."""
    return {n: float(p) for n, p in conn.execute(
        "SELECT job_name, extract(epoch FROM period) FROM shq._governance_job_specs()").fetchall()}


def expected(conn: psycopg.Connection) -> dict[tuple[str, frozenset], object]:
    """Every sample the families export for the known data set."""
    e: dict[tuple[str, frozenset], object] = {}

    def put(metric, value, **labels):
        e[(metric, frozenset(labels.items()))] = value

    for tier, n in (("-1", 1), ("0", 2), ("1", 2)):
        put("outreach_tier_companies", n, effective_tier=tier)
    put("outreach_overrides_active", 1, override_type="BLOCK_EMAIL")
    put("outreach_overrides_active", 1, override_type="FORCE_TIER")
    for window, cleared in (("5m", 2), ("1h", 3)):
        put("outreach_gate_attempts", cleared, time_window=window, verdict="CLEARED")
        put("outreach_gate_attempts", 2, time_window=window, verdict="BLOCKING_OVERRIDE")
        put("outreach_gate_attempts", 1, time_window=window, verdict="TIER_BELOW_CAMPAIGN_MINIMUM")
        put("outreach_gate_attempts", 1, time_window=window, verdict="COMPANY_INELIGIBLE")
        put("outreach_gate_attempts", 2, time_window=window, verdict="ELIGIBILITY_CHECK_FAILED")
        put("outreach_delivery_events", 1, time_window=window, event_type="SEND")
        put("outreach_delivery_events", 2, time_window=window, event_type="OPEN")
        put("outreach_delivery_events", 1, time_window=window, event_type="CLICK")
    for table, disposition, level, errors, oldest in (
            ("outreach.dol_errors", "RETRY", "0", 2, AGE),
            ("people.people_errors", "PARKED", "3", 1, ("about", 10 * 86400)),
            ("public.shq_error_log", "RESOLVED", "0", 1, ("about", 3 * 86400))):
        labels = dict(table_name=table, disposition=disposition, escalation_level=level)
        put("outreach_governed_errors", errors, **labels)
        put("outreach_governed_oldest_age_seconds", oldest, **labels)
    for job, period in _jobs(conn).items():
        for metric, value in (("scheduled", 0), ("visible", 1), ("last_run_failed", 0), ("overdue", 0),
                              ("last_run_timestamp_seconds", NAN), ("last_success_timestamp_seconds", NAN),
                              ("last_failure_timestamp_seconds", NAN), ("failures_30d", NAN),
                              ("period_seconds", period)):
            put(f"outreach_job_{metric}", value, job_name=job)
    for metric, value in (("records", 5), ("cl_bound", 5), ("without_cl", 0), ("cl_without_spine", 0), ("aligned", 1)):
        put(f"outreach_spine_{metric}", value)
    for table in ("outreach.bit_signals", "outreach.engagement_events", "outreach.override_audit_log",
                  "outreach.send_attempt_audit", "shq.audit_log", "shq.tool_violations", "outreach.outbox_events",
                  # the state history (db/1300): the companies above wrote it before the seal
                  "cl.company_identity_history", "outreach.company_hub_status_history",
                  "outreach.company_target_status_history"):
        unsealed = 1 if table == "outreach.send_attempt_audit" else 0
        put("outreach_seal_unsealed_rows", unsealed, table_name=table)
        put("outreach_seal_oldest_unsealed_age_seconds", AGE if unsealed else 0, table_name=table)
        # nothing wrote shq.audit_log or shq.tool_violations: never sealed
        put("outreach_seal_last_seal_timestamp_seconds",
            NAN if table in ("shq.audit_log", "shq.tool_violations") else NOW, table_name=table)
    for metric, value in (("backlog", 4), ("in_flight", 1), ("parked", 0), ("oldest_unacked_age_seconds", AGE)):
        put(f"outreach_outbox_{metric}", value, destination="analytics", consumer="k-bi")
    put("outreach_bit_scored_companies", 1)
    put("outreach_bit_oldest_score_age_seconds", AGE)
    put("outreach_bit_newest_score_age_seconds", AGE)
    for snap in ("tier", "spine", "bit", "job"):
        put("outreach_snapshot_age_seconds", AGE, snapshot=snap)
        put("outreach_snapshot_duration_seconds", AGE, snapshot=snap)
    return e


def matches(want, got: float) -> bool:
    if want == NAN:
        return math.isnan(got)
    if want == AGE:
        return 0 <= got < 120
    if want == NOW:
        return abs(got - time.time()) < 120
    if isinstance(want, tuple) and want[0] == "about":
        return abs(got - want[1]) < 120
    return got == float(want)


def mismatches(want: dict, got: dict[tuple[str, frozenset], float]) -> list[str]:
    """Samples missing, extra, or with a wrong value (empty when all agree)."""
    out = []
    for key, value in sorted(want.items(), key=str):
        if key not in got:
            out.append(f"missing {key[0]}{dict(key[1])} (want {value})")
        elif not matches(value, got[key]):
            out.append(f"{key[0]}{dict(key[1])} = {got[key]} (want {value})")
    out += [f"unexpected {k[0]}{dict(k[1])} = {v}" for k, v in got.items() if k not in want]
    return out


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text: str, prefix: str = "outreach_", drop=("server",)) -> dict[tuple[str, frozenset], float]:
    """Samples of the Prometheus text format whose name starts with `prefix`,
    without the labels in `drop` (the exporter's `server`)."""
    out = {}
    for line in text.splitlines():
        if not line.startswith(prefix):
            continue
        m = _SAMPLE.match(line)
        assert m, f"unparsable sample line: {line!r}"
        labels = frozenset((k, v) for k, v in _LABEL.findall(m.group(2) or "") if k not in drop)
        out[(m.group(1), labels)] = float(m.group(3))
    return out
