"""The one synthetic-data builder: `pyctl seed`, every benchmark and the tests
that need volume build their data here (docs/development.md describes it).

    seed(dsn, companies, seed)      N realistic companies and everything around them
    company_id(seed, i)             the company_unique_id of seeded company i

and, for the benchmarks, the workloads they measure on top of seeded data:
unbound_companies, add_bit_signals, add_overrides, expired_errors,
audit_rows, campaign_history.

What `seed` creates (N companies, numbered i = first .. first + N - 1):

* CL: N companies `S<seed>-<i, 8 digits>` (~3 % INELIGIBLE, ~2 % UNVERIFIED,
  mostly `prospect`), each bound to a spine row: exactly N, spine aligned.
  Company i's outreach_id is time-ordered like a minted one (shq._uuid_v7):
  minted at MINTED_FROM + i milliseconds, its other bits the md5 of seed and
  i, so the same seed and i always give the same id.
* A Company Target per company, and sub-hub rows planned so that the tiers
  spread over -1..3 (about 40 % stay at tier 0 in several partial states, 25 %
  reach tier 1, 20 % tier 2, 15 % tier 3).
* BIT signals over the last 180 days.
* Governed errors (~3 % of companies) in every disposition, parked ones with
  realistic ages; `shq.fn_escalate_stale_parked_errors()` gives them their
  escalation level, so the seed knows no threshold.
* Through the sanctioned writers only: hub statuses
  (`fn_evaluate_hub_statuses_range`, `fn_set_hub_status` for a few FAIL and
  BLOCKED ones), BIT scores (`fn_refresh_bit_scores`), kill-switch overrides
  (`set_marketing_override`), campaigns (`fn_create_campaign`), safety-gate
  checks (`fn_safety_gate_check`) with sends and engagement for the cleared.

Everything about company i is a pure function of (seed, i): the same arguments
on a fresh database give the same ids and rows; a second run with the same
seed continues the numbering and so adds N new companies.

The bulk path (the one place for load tuning): batches of BATCH_SIZE
companies, each one transaction of INSERT ... SELECT statements from a
temporary staging table, on WORKERS connections; target numbers and slot ids
are reserved from their sequences up front so that parallel batches stay
reproducible. CL and the sub-hub tables are written directly, as CL and the
hubs would (a superuser or the owner runs the seed). A superuser's sessions
also run with session_replication_role = replica, which skips the per-row
foreign-key checks but not the project's guards (ENABLE ALWAYS); every
foreign key of the tables written is then checked once, set-based
(check_foreign_keys), and the loaded tables are vacuumed and analysed. A
single-transaction step that writes a table that holds little yet builds the
table's non-constraint indexes after its writes (indexes_built_after). The
maintained eligibility rows, whose triggers replica mode skips, are then
rebuilt once (fn_rebuild_company_eligibility_range). The steps that write
every company (hub statuses, eligibility rows) run in EVALUATE_SESSIONS
sessions over disjoint company ranges, one core each; a range's session
goes on to the range's eligibility rows as soon as its statuses are written.
"""
from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import psycopg
from psycopg import sql

from pyctl.dsn import connect
from pyctl.errors import PyctlError, format_db_error

BATCH_SIZE = 50_000
WORKERS = 2
#: company i's outreach_id carries this instant plus i milliseconds as its mint
#: time: the ids of a run sort in company order, as ids minted one company
#: after another do
MINTED_FROM = "2026-01-01 00:00:00+00"
#: concurrent sessions of a by-company-range step (fn_evaluate_hub_statuses_range,
#: fn_rebuild_company_eligibility_range), at most (one per core: each one
#: builds its own hash tables of the inputs), and the companies each of them
#: gets, at least
EVALUATE_SESSIONS = 2
EVALUATE_MIN_RANGE = 100_000
DEFAULT_SEED = 42
MAX_SEED = 2**31 - 1
SEED_ACTOR = "pyctl seed"

#: every table the bulk path writes besides the governed error tables (those
#: come from their registry, shq.governed_error_tables): their foreign keys
#: are checked at the end
BULK_TABLES = ["cl.company_identity", "outreach.outreach", "outreach.company_target", "outreach.dol",
               "outreach.dol_filings", "people.company_slot", "people.people_master", "outreach.people",
               "outreach.talent_flow", "outreach.blog", "outreach.blog_signals", "outreach.bit_signals",
               "outreach.bit_scores", "outreach.company_hub_status"]
#: written after the load (by the sanctioned functions): their keys are checked last
WRITTEN_AFTER_LOAD = ["outreach.bit_scores", "outreach.company_hub_status"]
#: analysed after the load, before the sanctioned functions read them (the
#: sovereign tables too, so that their planner statistics are not guessed)
ANALYZE_AFTER_LOAD = ["cl.company_identity", "outreach.outreach", "outreach.company_target",
                      "outreach.company_hub_status", "outreach.dol", "people.company_slot", "people.people_master",
                      "outreach.talent_flow", "outreach.blog", "outreach.bit_signals", "outreach.bit_scores",
                      "outreach.hub_registry"]
#: of those, what the BIT refresh reads: in bulk mode analysed first, and the
#: others in the background while the refresh runs
ANALYZE_BEFORE_BIT = ["outreach.outreach", "outreach.bit_signals", "outreach.bit_scores"]
#: analysed at the end: what the steps after the load wrote, and the rest of the load
ANALYZE_AT_THE_END = ["outreach.company_hub_status", "outreach.manual_overrides", "outreach.override_audit_log",
                      "outreach.campaigns", "outreach.sequences", "outreach.send_attempt_audit", "outreach.send_log",
                      "outreach.engagement_events", "outreach.people", "outreach.dol_filings",
                      "outreach.blog_signals"]

FIRST_WORDS = ["Acme", "Summit", "Blue Ridge", "Harbor", "Pioneer", "Granite", "Evergreen", "Keystone",
               "Lakeside", "Northwind", "Redwood", "Silverline", "Cedar", "Ironwood", "Beacon", "Meridian",
               "Crescent", "Prairie", "Atlas", "Riverbend"]
SECOND_WORDS = ["Logistics", "Health", "Manufacturing", "Dental", "Foods", "Engineering", "Realty", "Auto Group",
                "Staffing", "Software", "Construction", "Hospitality", "Plastics", "Financial", "Energy",
                "Pharmacy", "Transport", "Labs", "Retail", "Insurance"]
SUFFIXES = ["Inc", "LLC", "Corp", "Group", "Co"]
#: the batch's errors cycle through this 20-step pattern (RETRY 35 %, PARKED 15 %,
#: RESOLVED 30 %, IGNORE 10 %, ARCHIVED 10 %); its first five are all different,
#: so every batch (each has five errors at least) holds every disposition
DISPOSITION_CYCLE = ["RETRY", "PARKED", "RESOLVED", "IGNORE", "ARCHIVED", "RETRY", "RESOLVED", "RETRY", "PARKED",
                     "RESOLVED", "RETRY", "RESOLVED", "IGNORE", "RETRY", "PARKED", "RESOLVED", "ARCHIVED", "RETRY",
                     "RESOLVED", "RETRY"]
#: failure codes of the seeded errors (their TTL tier is shq.fn_default_ttl_tier's)
FAILURE_CODES = ["RATE_LIMIT", "TIMEOUT", "VALIDATION_ERROR", "MISSING_DATA", "PARSE_ERROR", "HTTP_404"]

#: the kill switches the seed sets: (type, tier_cap, reason, expires in days or None)
OVERRIDES = [
    ("BLOCK_EMAIL", None, "customer asked for no email (support ticket)", None),
    ("BLOCK_OUTREACH", None, "legal hold: open dispute with the company", None),
    ("BLOCK_PHONE", None, "do-not-call registry match", None),
    ("FORCE_TIER", 1, "account owner: hold at marketing-ready until the renewal call", 30),
    ("FORCE_TIER", 0, "data quality review pending", 14),
    ("BLOCK_EMAIL", None, "domain bounced hard twice", 90),
    ("FORCE_TIER", 2, "exec sponsor wants a personal intro first", None),
    ("BLOCK_OUTREACH", None, "existing client in renewal negotiation", 60),
]


@dataclass
class SeedResult:
    companies: int
    seed: int
    first_index: int
    last_index: int
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)
    #: CPU seconds the server spent in this run's backends (None when the
    #: server's /proc is not readable here): on an idle machine with W cores
    #: the run takes about cpu_seconds / W, whatever else is running now
    cpu_seconds: float | None = None


def prefix(seed: int) -> str:
    """What every company_unique_id of `seed` starts with."""
    return f"S{seed}-"


def company_id(seed: int, i: int) -> str:
    """The company_unique_id of company number `i` of `seed`."""
    return f"{prefix(seed)}{i:08d}"


def campaign_ids(seed: int) -> list[str]:
    """The campaigns of `seed`, the active EMAIL one (min tier 1) first."""
    return [c[0] for c in _campaigns_of(seed)]


# ------------------------------------------------------------------ the plan
def _draw(stream: int, modulus: int, col: str = "g.i") -> str:
    """SQL: a pseudo-random integer 0..modulus-1 of company `col`, from hash
    stream `stream` of the seed (parameter %(seed)s). A stream is never
    reused for another purpose: that would change every seeded database."""
    return f"((hashint8extended({col}, %(seed)s::int8 * 64 + {stream}) & 1073741823) %% {modulus})::integer"


#: the draws of each company: (column, stream, modulus)
DRAWS = [
    ("r_eligible", 1, 1000), ("r_identity", 2, 1000), ("r_plan", 3, 100), ("variant", 4, 4), ("r_coin", 5, 2),
    ("r_contact", 6, 10), ("r_blog_signal", 7, 4), ("r_filing", 8, 3), ("r_status", 9, 1000),
    ("r_lifecycle", 10, 100), ("r_error", 11, 1000), ("r_error_table", 12, 1000), ("err_age", 14, 60),
    ("err_code", 15, 6), ("r_domain", 16, 100), ("r_dol", 17, 100), ("r_slot", 18, 100), ("r_exec", 19, 100),
    ("r_news", 20, 100), ("age_h1", 21, 180 * 24), ("age_h2", 22, 180 * 24), ("age_h3", 23, 180 * 24),
    ("age_h4", 24, 180 * 24), ("w1", 25, 20), ("w2", 26, 20), ("w3", 27, 5), ("big", 28, 1_000_000),
]

#: CREATE the batch's staging table: companies lo..hi with their whole plan
#: (parameters: seed, prefix, first, lo, hi, target_base, slot_base, word
#: lists, dispositions)
STAGING_SQL = f"""
CREATE TEMP TABLE seed_batch ON COMMIT DROP AS
SELECT d.*,
       (d.plan >= 1 OR d.variant >= 1) AS ct_done,
       (d.plan >= 1 OR d.variant >= 2) AS dol_row,
       (d.plan >= 1 OR d.variant = 3) AS dol_done,
       (d.plan >= 1 OR d.variant = 3) AS slot_row,
       (d.plan >= 1) AS slot_filled,
       (d.plan = 3 OR (d.plan = 2 AND d.coin)) AS person_row,
       (d.plan = 3) AS person_verified,
       (d.plan >= 1 OR d.variant >= 2) AS tf_row,
       (d.plan >= 1 OR d.variant = 3) AS tf_done,
       (d.plan >= 2) AS blog_row,
       (%(first_words)s::text[])[1 + d.w1] AS word1,
       (%(second_words)s::text[])[1 + d.w2] AS word2,
       (%(suffixes)s::text[])[1 + d.w3] AS suffix,
       CASE WHEN d.has_error THEN (%(dispositions)s::text[])[
           1 + ((row_number() OVER (PARTITION BY d.has_error ORDER BY d.i) - 1)
                %% cardinality(%(dispositions)s::text[]))::integer]
       END AS err_disposition
  FROM (SELECT x.i, x.cid,
               shq._uuid_v7(%(minted_from)s::timestamptz + x.i * interval '1 millisecond',
                            md5('pyctl-seed:' || %(seed)s || ':' || x.i)::uuid) AS oid,
               'TGT-' || left(x.cid, 8) || '-' || (%(target_base)s + x.i - %(first)s) AS tid,
               %(slot_base)s + 2 * (x.i - %(first)s) AS slot1,
               %(slot_base)s + 2 * (x.i - %(first)s) + 1 AS slot2,
               x.r_eligible >= 30 AS elig,
               x.r_identity >= 20 AS ident,
               CASE WHEN x.r_lifecycle < 90 THEN 'prospect' WHEN x.r_lifecycle < 95 THEN 'sales'
                    WHEN x.r_lifecycle < 99 THEN 'client' ELSE 'churned' END AS lifecycle,
               CASE WHEN x.r_plan < 40 THEN 0 WHEN x.r_plan < 65 THEN 1 WHEN x.r_plan < 85 THEN 2 ELSE 3 END AS plan,
               x.variant,
               CASE WHEN x.r_status < 5 THEN 'opted_out' WHEN x.r_status < 15 THEN 'paused' ELSE 'queued' END AS ostatus,
               x.r_coin = 0 AS coin,
               x.r_contact = 0 AS contact,
               x.r_blog_signal = 0 AS blog_sig,
               x.r_filing = 0 AS filing,
               (x.r_error < 30 OR x.i - %(lo)s < 5) AS has_error,
               x.r_error_table, x.err_age, x.err_code, x.r_domain, x.r_dol, x.r_slot, x.r_exec, x.r_news,
               x.age_h1, x.age_h2, x.age_h3, x.age_h4, x.w1, x.w2, x.w3, x.big
          FROM (SELECT g.i, %(prefix)s || lpad(g.i::text, 8, '0') AS cid,
                       {", ".join(f"{_draw(stream, modulus)} AS {name}" for name, stream, modulus in DRAWS)}
                  FROM generate_series(%(lo)s::int8, %(hi)s::int8) AS g(i)) AS x) AS d"""

# ------------------------------------------------------------------ batch SQL
#: what each batch inserts from seed_batch, in order (no parameters)
BATCH_STATEMENTS = [
    ("cl", """
INSERT INTO cl.company_identity (company_unique_id, company_name, domain, eligibility_status, identity_status,
                                 lifecycle_state, outreach_id, outreach_id_bound_at)
SELECT b.cid, b.word1 || ' ' || b.word2 || ' ' || b.suffix,
       lower(replace(b.word1 || b.word2, ' ', '')) || '-' || b.i || '.example.com',
       CASE WHEN b.elig THEN 'ELIGIBLE' ELSE 'INELIGIBLE' END,
       CASE WHEN b.ident THEN 'VERIFIED' ELSE 'UNVERIFIED' END,
       b.lifecycle, b.oid, now()
  FROM seed_batch b"""),
    ("spine", """
INSERT INTO outreach.outreach (outreach_id, company_unique_id) SELECT b.oid, b.cid FROM seed_batch b ORDER BY b.oid"""),
    ("company_target", """
INSERT INTO outreach.company_target (target_id, outreach_id, company_unique_id, outreach_status, execution_status,
                                     email_method, email_pattern, confidence_score, imo_completed_at, status_reason)
SELECT b.tid, b.oid, b.cid, b.ostatus,
       CASE WHEN b.ct_done THEN 'ready' WHEN b.coin THEN 'failed' ELSE 'pending' END,
       CASE WHEN b.ct_done THEN (ARRAY['pattern', 'verified_smtp', 'provider'])[1 + b.big % 3] END,
       CASE WHEN b.ct_done THEN (ARRAY['{first}.{last}', '{f}{last}', '{first}'])[1 + b.big % 3] END,
       CASE WHEN b.ct_done THEN 0.70 + (b.big % 30) / 100.0 END,
       CASE WHEN b.ct_done THEN now() - make_interval(hours => b.age_h1) END,
       CASE WHEN b.ostatus <> 'queued' THEN 'set by pyctl seed' END
  FROM seed_batch b"""),
    ("dol", """
INSERT INTO outreach.dol (outreach_id, target_id, company_unique_id, ein, filing_present, renewal_date)
SELECT b.oid, b.tid, b.cid,
       CASE WHEN b.dol_done THEN lpad((10 + b.big % 89)::text, 2, '0') || '-' || lpad(((b.big::bigint * 7919) % 10000000)::text, 7, '0') END,
       b.dol_done,
       CASE WHEN b.dol_done THEN current_date + (b.big % 365) END
  FROM seed_batch b WHERE b.dol_row"""),
    ("dol_filings", """
INSERT INTO outreach.dol_filings (target_id, outreach_id, company_unique_id, plan_year, filing_date, form_type)
SELECT b.tid, b.oid, b.cid, 2024 + b.big % 2, make_date(2025, 1 + b.big % 12, 1 + b.big % 28),
       CASE WHEN b.coin THEN '5500' ELSE '5500-SF' END
  FROM seed_batch b WHERE b.dol_done AND b.filing"""),
    ("company_slot", """
INSERT INTO people.company_slot (slot_id, target_id, outreach_id, company_unique_id, slot_type, is_filled, filled_at)
SELECT s.slot_id, b.tid, b.oid, b.cid, s.slot_type, s.filled, CASE WHEN s.filled THEN now() - make_interval(hours => b.age_h2) END
  FROM seed_batch b
 CROSS JOIN LATERAL (VALUES (b.slot1, 'CEO', b.slot_filled),
                            (b.slot2, CASE WHEN b.coin THEN 'CFO' ELSE 'HR' END, b.slot_filled AND b.coin)) AS s(slot_id, slot_type, filled)
 WHERE b.slot_row AND (s.slot_type = 'CEO' OR (b.plan >= 2 AND b.blog_sig))"""),
    ("people_master", """
INSERT INTO people.people_master (slot_id, target_id, outreach_id, company_unique_id, full_name, email, email_verified)
SELECT b.slot1, b.tid, b.oid, b.cid,
       (ARRAY['Alex', 'Sam', 'Jordan', 'Taylor', 'Morgan', 'Casey', 'Riley', 'Jamie'])[1 + b.big % 8] || ' '
           || (ARRAY['Smith', 'Garcia', 'Chen', 'Patel', 'Johnson', 'Okafor', 'Novak', 'Silva'])[1 + (b.big / 8) % 8],
       'ceo@' || lower(replace(b.word1 || b.word2, ' ', '')) || '-' || b.i || '.example.com',
       b.person_verified
  FROM seed_batch b WHERE b.person_row"""),
    ("people", """
INSERT INTO outreach.people (person_id, target_id, outreach_id, company_unique_id, full_name, title, email)
SELECT 'PER-' || b.cid || '-1', b.tid, b.oid, b.cid,
       (ARRAY['Robin', 'Drew', 'Avery', 'Quinn'])[1 + b.big % 4] || ' '
           || (ARRAY['Miller', 'Brown', 'Davis', 'Lopez'])[1 + (b.big / 4) % 4],
       (ARRAY['Head of HR', 'CFO', 'Benefits Manager', 'COO'])[1 + (b.big / 16) % 4],
       'contact@' || lower(replace(b.word1 || b.word2, ' ', '')) || '-' || b.i || '.example.com'
  FROM seed_batch b WHERE b.contact"""),
    ("talent_flow", """
INSERT INTO outreach.talent_flow (outreach_id, target_id, company_unique_id, last_scan_at, movements_detected)
SELECT b.oid, b.tid, b.cid, CASE WHEN b.tf_done THEN now() - make_interval(hours => b.age_h3 % 720) END,
       CASE WHEN b.tf_done THEN b.big % 3 ELSE 0 END
  FROM seed_batch b WHERE b.tf_row"""),
    ("blog", """
INSERT INTO outreach.blog (outreach_id, target_id, company_unique_id, last_checked_at)
SELECT b.oid, b.tid, b.cid, now() - make_interval(hours => b.age_h4 % 720)
  FROM seed_batch b WHERE b.blog_row"""),
    ("blog_signals", """
INSERT INTO outreach.blog_signals (target_id, outreach_id, company_unique_id, headline, url, published_at)
SELECT b.tid, b.oid, b.cid,
       b.word1 || ' ' || b.word2 || (ARRAY[' opens a new office', ' names a new CFO', ' expands benefits program',
                                          ' announces acquisition'])[1 + b.big % 4],
       'https://news.example.com/' || b.cid, now() - make_interval(hours => b.age_h4)
  FROM seed_batch b WHERE b.blog_row AND b.blog_sig"""),
    ("bit_signals", """
INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at, dedup_key)
SELECT b.oid, b.cid, v.signal_type, t.points, now() - make_interval(hours => v.age_hours), 'seed:' || v.signal_type
  FROM seed_batch b
 CROSS JOIN LATERAL (VALUES
        ('DOMAIN_VERIFIED', b.ident AND (b.plan >= 2 OR b.r_domain < 55), b.age_h1),
        ('DOL_RENEWAL_PROXIMITY', b.dol_done AND b.r_dol < 25, b.age_h2 % 2160),
        ('SLOT_FILLED', b.slot_filled AND b.r_slot < 40, b.age_h2),
        ('EXECUTIVE_MOVEMENT', b.tf_done AND b.r_exec < 15, b.age_h3),
        ('NEWS_MENTION', b.blog_row AND (b.r_news < 50 OR NOT b.ident), b.age_h4)) AS v(signal_type, wanted, age_hours)
  JOIN outreach.bit_signal_types t ON t.signal_type = v.signal_type
 WHERE v.wanted
 ORDER BY b.oid, v.signal_type"""),
]

#: the batch's errors that go to one governed table ({table}, number
#: table_no of the registry's `tables`), in the disposition the staging table
#: gave them. Escalation levels are left to
#: shq.fn_escalate_stale_parked_errors() after the load.
ERRORS_SQL = """
INSERT INTO {table} (outreach_id, failure_code, error_message, context, created_at, resolved_at, disposition,
                     retry_count, archived_at, parked_at, parked_by, park_reason, ttl_tier, last_retry_at,
                     next_retry_at, retry_exhausted)
SELECT b.oid, x.code, x.code || ' while enriching ' || b.cid,
       jsonb_build_object('seed', true, 'company_unique_id', b.cid),
       x.created, CASE WHEN x.disp = 'RESOLVED' THEN x.created + interval '2 hours' END,
       x.disp::shq.error_disposition,
       CASE WHEN x.disp = 'PARKED' THEN m.max_retries WHEN x.disp = 'RETRY' THEN b.big %% m.max_retries ELSE 1 END,
       CASE WHEN x.disp = 'ARCHIVED' THEN x.created + interval '1 day' END,
       CASE WHEN x.disp = 'PARKED' THEN x.created + interval '1 hour' END,
       CASE WHEN x.disp = 'PARKED' THEN 'system' END,
       CASE WHEN x.disp = 'PARKED' THEN 'MAX_RETRIES_EXCEEDED' END,
       shq.fn_default_ttl_tier(x.code),
       CASE WHEN x.disp IN ('RETRY', 'PARKED') THEN x.created + interval '30 minutes' END,
       CASE WHEN x.disp = 'RETRY' THEN now() + make_interval(mins => 5 + b.big %% 120) END,
       x.disp = 'PARKED'
  FROM seed_batch b
  JOIN shq.governed_error_tables m ON m.table_name = %(table_name)s
 CROSS JOIN LATERAL (
        SELECT b.err_disposition AS disp,
               (%(codes)s::text[])[1 + b.err_code] AS code,
               -- RETRY rows are recent (they would have been retried or parked otherwise)
               now() - make_interval(days => CASE WHEN b.err_disposition = 'RETRY' THEN b.err_age %% 2
                                                  ELSE b.err_age %% 20 END,
                                     hours => b.big %% 24) AS created) AS x
 WHERE b.has_error AND b.r_error_table %% %(tables)s = %(table_no)s"""


def error_tables(conn) -> list[str]:
    """The governed error tables, from their registry."""
    return [r[0] for r in conn.execute("SELECT table_name FROM shq.governed_error_tables ORDER BY display_order")]


def _qualified(name: str) -> sql.Composable:
    """A schema-qualified table name as an identifier."""
    return sql.Identifier(*name.split("."))


# ------------------------------------------------------------------ the bulk path
def bulk_session(conn, bulk: bool = False) -> None:
    """The session settings of the seed's connections: no waiting for the WAL
    flush at commit and, in bulk mode (a superuser), no per-row foreign-key
    checks (check_foreign_keys runs them set-based at the end; the project's
    guard and attachment triggers are ENABLE ALWAYS and still fire). The
    connections are the seed's own and closed after it."""
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET client_min_messages = warning")
    if bulk:
        conn.execute("SET session_replication_role = replica")


#: bulk mode, in each batch's transaction: the sub-hub rows' attachment
#: trigger skips its per-row target lookup (outreach.tg_subhub_attachment
#: honours this only in replica mode), since the composite foreign keys that
#: are the same rule are checked set-based at the end (check_foreign_keys)
ATTACHMENT_CHECKED_SQL = "SELECT set_config('outreach.attachment_checked_set_based', 'on', true)"


def check_foreign_keys(conn, tables: list[str]) -> None:
    """Check every foreign key of `tables`, one anti-join each (what ALTER
    TABLE .. VALIDATE CONSTRAINT runs), and fail loudly on any orphan: bulk
    mode skipped the per-row checks."""
    fks = conn.execute("""
SELECT c.conname, c.conrelid::regclass::text, c.confrelid::regclass::text,
       array_agg(a.attname ORDER BY k.n), array_agg(fa.attname ORDER BY k.n)
  FROM pg_constraint c
 CROSS JOIN LATERAL unnest(c.conkey, c.confkey) WITH ORDINALITY AS k(attnum, fattnum, n)
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
  JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = k.fattnum
 WHERE c.contype = 'f' AND c.conrelid = ANY (%s::regclass[])
 GROUP BY c.oid, c.conname, c.conrelid, c.confrelid
 ORDER BY 2, 1""", (tables,)).fetchall()
    bad = []
    for name, child, parent, cols, pcols in fks:
        # child and parent come from regclass::text: already quoted where needed
        q = sql.SQL("SELECT count(*) FROM {} c WHERE {} AND NOT EXISTS (SELECT 1 FROM {} p WHERE {})").format(
            sql.SQL(child), sql.SQL(" AND ").join(sql.SQL("c.{} IS NOT NULL").format(sql.Identifier(c)) for c in cols),
            sql.SQL(parent), sql.SQL(" AND ").join(sql.SQL("p.{} = c.{}").format(sql.Identifier(p), sql.Identifier(c))
                                                   for c, p in zip(cols, pcols)))
        n = conn.execute(q).fetchone()[0]
        if n:
            bad.append(f"{child}.{name}: {n:,} rows without their {parent} row")
    if bad:
        raise PyctlError("seed wrote rows that break foreign keys (a bug in pyctl seed, or a concurrent delete): "
                         + "; ".join(bad))


def _table_list(tables: list[str]) -> sql.Composable:
    return sql.SQL(", ").join(_qualified(t) for t in tables)


def _analyze(conn, tables: list[str]) -> None:
    conn.execute(sql.SQL("ANALYZE {}").format(_table_list(tables)))


def _vacuum(conn, tables: list[str]) -> None:
    conn.execute(sql.SQL("VACUUM {}").format(_table_list(tables)))


def _backend_cpu(conn) -> float | None:
    """CPU seconds used so far by this connection's server process, when the
    server runs on this machine and its /proc entry is readable."""
    try:
        with open(f"/proc/{conn.info.backend_pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class _Cpu:
    """Adds up the backend CPU of every connection of the run (None as soon
    as one is unreadable)."""

    def __init__(self):
        self.total: float | None = 0.0
        self.lock = threading.Lock()

    def add(self, conn) -> None:
        v = _backend_cpu(conn)
        with self.lock:
            self.total = None if v is None or self.total is None else self.total + v


class _Run:
    """One seed run: its parameters, its connections' settings, its result."""

    def __init__(self, dsn: str, seed: int, first: int, companies: int, bulk: bool, error_tables: list[str]):
        self.dsn = dsn
        self.bulk = bulk
        self.error_tables = error_tables
        self.cpu = _Cpu()
        self.result = SeedResult(companies, seed, first, first + companies - 1)
        self.params = {"seed": seed, "prefix": prefix(seed), "first": first, "last": first + companies - 1}
        #: the run at least doubles the companies (set by seed()): a table's
        #: indexes are then cheaper built after its load than kept during it
        self.mostly_new = False

    @contextlib.contextmanager
    def session(self, name: str, bulk: bool | None = None):
        """A connection of the run, with the bulk path's settings; its server
        CPU is counted when it closes."""
        with connect(self.dsn, autocommit=True, application_name=f"pyctl seed {name}") as conn:
            bulk_session(conn, self.bulk if bulk is None else bulk)
            try:
                yield conn
            finally:
                self.cpu.add(conn)


def _in_threads(fns: list[Callable[[], None]], failure: str) -> None:
    """Run each fn in a thread of its own, wait for all of them, and re-raise
    the first error (a database error as one line that starts with `failure`)."""
    errors: list[BaseException] = []

    def run(fn: Callable[[], None]) -> None:
        try:
            fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(fn,), daemon=True) for fn in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        e = errors[0]
        if isinstance(e, psycopg.Error):
            raise PyctlError(f"{failure}: {format_db_error(e)}") from None
        raise e


class _Background:
    """fn(conn) on a bulk connection of the run, in a thread; join() waits and
    re-raises its error."""

    def __init__(self, run: _Run, fn: Callable[[psycopg.Connection], None]):
        self.error: BaseException | None = None

        def work() -> None:
            try:
                with run.session("check", bulk=True) as c:
                    fn(c)
            except BaseException as e:  # noqa: BLE001 - re-raised by join()
                self.error = e

        self.thread = threading.Thread(target=work, daemon=True)
        self.thread.start()

    def join(self) -> None:
        self.thread.join()
        if isinstance(self.error, psycopg.Error):
            raise PyctlError(f"seed failed checking foreign keys: {format_db_error(self.error)}") from None
        if self.error is not None:
            raise self.error


def _reserve(conn, sequence: str, count: int) -> int:
    """Reserve `count` consecutive values of a sequence; return the first."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('pyctl seed reserve ' || %s))", (sequence,))
        first = conn.execute("SELECT nextval(%s::regclass)", (sequence,)).fetchone()[0]
        conn.execute("SELECT setval(%s::regclass, %s)", (sequence, first + count - 1))
    return first


# ------------------------------------------------------------------ the steps
def _load_batches(run: _Run, staging: dict, batches: list[tuple[int, int]], workers: int,
                  progress: Callable[[int], None] | None) -> None:
    """The companies and their sub-hub rows, signals and errors, a batch per
    transaction, on `workers` connections."""
    lock = threading.Lock()
    queue = list(reversed(batches))
    stop = threading.Event()
    errors = [(sql.SQL(ERRORS_SQL).format(table=_qualified(t)),
               {"table_name": t, "table_no": k, "tables": len(run.error_tables), "codes": FAILURE_CODES})
              for k, t in enumerate(run.error_tables)]

    def work():
        try:
            with run.session("worker") as c:
                while not stop.is_set():
                    with lock:
                        if not queue:
                            return
                        lo, hi = queue.pop()
                    with c.transaction():
                        if run.bulk:
                            # the attachment rule is proven by the end's key check
                            c.execute(ATTACHMENT_CHECKED_SQL)
                        c.execute(STAGING_SQL, {**staging, "lo": lo, "hi": hi})
                        for _name, stmt in BATCH_STATEMENTS:
                            c.execute(stmt)
                        for stmt, params in errors:
                            c.execute(stmt, params)
                    if progress:
                        with lock:
                            progress(hi - lo + 1)
        except BaseException:
            stop.set()  # the other workers take no further batch
            raise

    _in_threads([work] * max(1, workers), "seed failed (the batches already committed stay)")


#: the indexes of the given tables that back no constraint (a primary key,
#: unique or exclusion constraint, which foreign keys may depend on, stays),
#: with what rebuilds them as they were: definition and comment, read from
#: the catalogue. A replica-identity or clustered index stays too (that mark
#: would be lost).
DEFERRABLE_INDEXES_SQL = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), obj_description(i.indexrelid, 'pg_class')
  FROM pg_index i
 WHERE i.indrelid = ANY (%s::regclass[])
   AND i.indisvalid AND NOT i.indisreplident AND NOT i.indisclustered
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
 ORDER BY i.indexrelid"""


@contextlib.contextmanager
def indexes_built_after(conn, tables: list[str]):
    """Inside the caller's transaction (checked): drop the indexes of `tables`
    that back no constraint, let the caller write, then create them again, as
    a restore does: one sorted build costs far less than a row-by-row insert
    into each of them in random key order. All in the one transaction: an
    error or a crash rolls the drop back with the writes, so no table is ever
    left without its index. Takes the tables' exclusive lock until commit
    (readers wait): for a load into tables that hold little yet."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:
        raise RuntimeError("indexes_built_after needs an open transaction")
    indexes = conn.execute(DEFERRABLE_INDEXES_SQL, (tables,)).fetchall()
    for name, _definition, _comment in indexes:
        # name comes from regclass::text: already quoted where needed
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.SQL(name)))
    yield
    # a build sorts in memory rather than in runs on disk, and may use the
    # parallel maintenance workers
    conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for name, definition, comment in indexes:
        conn.execute(definition)
        if comment is not None:
            conn.execute(sql.SQL("COMMENT ON INDEX {} IS {}").format(sql.SQL(name), sql.Literal(comment)))


def _refresh_bit_scores(conn, run: _Run) -> None:
    """Every company's BIT score in one full refresh (bulk mode: the signals'
    trigger, ENABLE ORIGIN, did not fire during the load); when the run at
    least doubles the companies, the scores' secondary indexes are built
    after the refresh (indexes_built_after)."""
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        with (indexes_built_after(conn, ["outreach.bit_scores"]) if run.mostly_new
              else contextlib.nullcontext()):
            conn.execute("SELECT outreach.fn_refresh_bit_scores()")
    _analyze(conn, ["outreach.bit_scores"])


def _company_ranges(run: _Run, parts: int) -> list[tuple[str | None, str | None]]:
    """`parts` disjoint ranges [from, to) of company_unique_id that cover every
    company: the run's companies cut into equal parts, the first and last
    range open, so that companies outside this run's are covered too."""
    r = run.result
    cuts = [company_id(r.seed, r.first_index + k * r.companies // parts) for k in range(1, parts)]
    return list(zip([None, *cuts], [*cuts, None]))


def _range_sessions(run: _Run, workers: int) -> int:
    """How many concurrent sessions a by-range step of the run uses (one per
    core, each given EVALUATE_MIN_RANGE companies at least)."""
    return min(workers, EVALUATE_SESSIONS, max(1, run.result.companies // EVALUATE_MIN_RANGE))


def _evaluate_hub_statuses(run: _Run, parts: int) -> None:
    """fn_evaluate_hub_statuses for every company, split into `parts` ranges of
    company_unique_id (_company_ranges) evaluated by concurrent sessions (one
    core each), as by fn_evaluate_hub_statuses(NULL)."""
    r = run.result
    bounds = _company_ranges(run, parts)
    promoted = [0] * len(bounds)

    def work(k: int) -> None:
        with run.session("evaluate") as c:
            promoted[k] = c.execute("SELECT outreach.fn_evaluate_hub_statuses_range(%s, %s)", bounds[k]).fetchone()[0]

    _in_threads([lambda k=k: work(k) for k in range(len(bounds))], "seed failed evaluating hub statuses")
    r.figures["hub_statuses_promoted"] = sum(promoted)


class _StatusesAndEligibility:
    """Bulk mode: the hub statuses and then the maintained eligibility rows
    of every company, in `parts` ranges (_company_ranges), one session (one
    core) per range. A range's session evaluates its hub statuses
    (fn_evaluate_hub_statuses_range), writes its FAIL/BLOCKED statuses
    (_fail_blocked_statuses, replica mode) and at once rebuilds its
    eligibility rows (fn_rebuild_company_eligibility_range), which read only
    the range's own inputs: no core waits for the slower range between the
    steps. The same rows as the steps one after the other. (The rebuild is
    needed because the input tables' triggers, ENABLE ORIGIN, did not fire
    during the load, the evaluation and the FAIL/BLOCKED statuses; it comes
    before the overrides and the gate checks, which read its rows.)
    statuses_written() waits until every range's statuses are written;
    join() until every range is done."""

    def __init__(self, run: _Run, parts: int):
        self.run = run
        self.bounds = _company_ranges(run, parts)
        self.promoted = [0] * len(self.bounds)
        self.failed = [0] * len(self.bounds)
        self.pending = len(self.bounds)
        self.lock = threading.Lock()
        self.written = threading.Event()
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._work, args=(k,), daemon=True) for k in range(len(self.bounds))]
        for t in self.threads:
            t.start()

    def _work(self, k: int) -> None:
        step = "evaluating hub statuses"
        written = False
        try:
            with self.run.session("evaluate") as c:
                self.promoted[k] = c.execute("SELECT outreach.fn_evaluate_hub_statuses_range(%s, %s)",
                                             self.bounds[k]).fetchone()[0]
                with c.transaction():
                    c.execute("SET LOCAL session_replication_role = replica")
                    self.failed[k] = _fail_blocked_statuses(c, self.run, self.bounds[k])
                self._statuses_done()
                written = True
                step = "rebuilding the maintained eligibility rows"
                c.execute("SELECT outreach.fn_rebuild_company_eligibility_range(%s, %s)", self.bounds[k])
        except BaseException as e:  # noqa: BLE001 - re-raised by the waits below
            with self.lock:
                self.errors.append(PyctlError(f"seed failed {step}: {format_db_error(e)}")
                                   if isinstance(e, psycopg.Error) else e)
            if not written:
                self._statuses_done()

    def _statuses_done(self) -> None:
        with self.lock:
            self.pending -= 1
            if self.pending == 0:
                self.written.set()

    def _raise(self) -> None:
        if self.errors:
            for t in self.threads:  # no session of the run outlives it
                t.join()
            raise self.errors[0]

    def statuses_written(self) -> None:
        self.written.wait()
        self._raise()
        self.run.result.figures["hub_statuses_promoted"] = sum(self.promoted)
        self.run.result.figures["hubs_failed_or_blocked"] = sum(self.failed)

    def join(self) -> None:
        for t in self.threads:
            t.join()
        self._raise()


def _escalate_parked_errors(conn, run: _Run) -> None:
    """The parked errors' escalation levels, as the governance job sets them."""
    n = conn.execute("SELECT coalesce(sum(affected), 0) FROM shq.fn_escalate_stale_parked_errors()").fetchone()[0]
    run.result.figures["parked_errors_escalated"] = int(n)


def _fail_blocked_cap(run: _Run) -> int:
    """How many companies get a FAIL or BLOCKED hub (0.5 %, at least 1, at most 5,000)."""
    return min(5000, max(1, run.result.companies // 200))


def _fail_blocked(conn, run: _Run) -> None:
    """A few companies (_fail_blocked_cap) that have nothing but their target
    get a required hub FAIL or BLOCKED: tier -1, each call an ordinary status
    write. (In bulk mode these statuses are part of the load, like the
    evaluation's: each range's session writes those of its range in replica
    mode, before the range's one rebuild of the maintained rows, with no
    per-call eligibility maintenance, history row or TIER_CHANGED detection:
    _StatusesAndEligibility.)"""
    with conn.transaction():
        n = _fail_blocked_statuses(conn, run, (None, None))
    run.result.figures["hubs_failed_or_blocked"] = n


def _fail_blocked_statuses(conn, run: _Run, bounds: tuple[str | None, str | None]) -> int:
    """The FAIL/BLOCKED statuses of the companies in `bounds` ([from, to),
    as _company_ranges): the companies are chosen among all of the run's
    first, so that a range gets the ones it would get in one pass."""
    return conn.execute(f"""
SELECT count(outreach.fn_set_hub_status(x.cid, x.hub_id, x.status,
                                        CASE WHEN x.status = 'BLOCKED' THEN 'blocked: data provider contract pending'
                                             WHEN x.hub_id = 'dol-filings' THEN 'failed: no Form 5500 filing found for the EIN'
                                             ELSE 'failed: no decision-maker found after 3 sources' END))
  FROM (SELECT %(prefix)s || lpad(g.i::text, 8, '0') AS cid,
               CASE WHEN {_draw(28, 2)} = 0 THEN 'dol-filings' ELSE 'people-intelligence' END AS hub_id,
               CASE WHEN {_draw(28, 3)} = 0 THEN 'BLOCKED' ELSE 'FAIL' END AS status
          FROM generate_series(%(first)s::int8, %(last)s::int8) AS g(i)
         WHERE {_draw(3, 100)} < 40 AND {_draw(4, 4)} = 0       -- plan 0, variant 0: nothing but the target
         ORDER BY {_draw(29, 1_000_000)}, g.i
         LIMIT %(cap)s) AS x
 WHERE (%(from)s::text IS NULL OR x.cid >= %(from)s) AND (%(to)s::text IS NULL OR x.cid < %(to)s)""",
                        {**run.params, "cap": _fail_blocked_cap(run), "from": bounds[0], "to": bounds[1]}).fetchone()[0]


def _overrides(conn, run: _Run) -> None:
    """A few kill switches (0.2 %, at least 1, at most 500) through the sanctioned writer."""
    cap = min(500, max(1, run.result.companies // 500))
    types, caps, reasons, days = (list(col) for col in zip(*OVERRIDES))
    n = conn.execute(f"""
SELECT count(outreach.set_marketing_override(x.cid, o.otype, o.reason, %(actor)s, o.cap,
                                             now() + make_interval(days => o.days)))
  FROM (SELECT %(prefix)s || lpad(g.i::text, 8, '0') AS cid, {_draw(30, len(OVERRIDES))} AS k
          FROM generate_series(%(first)s::int8, %(last)s::int8) AS g(i)
         ORDER BY {_draw(31, 1_000_000)}, g.i
         LIMIT %(cap)s) AS x
  JOIN unnest(%(types)s::text[], %(caps)s::integer[], %(reasons)s::text[], %(days)s::integer[])
       WITH ORDINALITY AS o(otype, cap, reason, days, n) ON o.n = x.k + 1""",
                     {**run.params, "cap": cap, "actor": SEED_ACTOR, "types": types, "caps": caps,
                      "reasons": reasons, "days": days}).fetchone()[0]
    run.result.figures["overrides"] = n


def _campaigns_of(seed: int) -> list[tuple]:
    p = f"SEED{seed}"
    return [
        (f"{p}-BENEFITS-RENEWAL", "Benefits renewal outreach (Q3)", "EMAIL", 1, "active",
         [{"template_id": "renewal-intro", "delay_days": 0}, {"template_id": "renewal-followup", "delay_days": 3},
          {"template_id": "renewal-last-call", "delay_days": 7}]),
        (f"{p}-EXEC-INTRO", "Executive introduction", "EMAIL", 3, "active",
         [{"template_id": "exec-intro", "delay_days": 0}, {"template_id": "exec-case-study", "delay_days": 5}]),
        (f"{p}-PHONE-FOLLOWUP", "Phone follow-up of warm accounts", "PHONE", 2, "paused",
         [{"template_id": "call-script-a", "delay_days": 0}]),
        (f"{p}-PLAN-YEAR-2027", "Plan year 2027 preview", "EMAIL", 2, "draft",
         [{"template_id": "py27-teaser", "delay_days": 0}, {"template_id": "py27-webinar", "delay_days": 10},
          {"template_id": "py27-reminder", "delay_days": 3}]),
    ]


def _campaigns(conn, run: _Run) -> None:
    """Four campaigns with sequences (those of this seed that exist are kept)."""
    made = 0
    for cid, name, channel, min_tier, status, steps in _campaigns_of(run.result.seed):
        if conn.execute("SELECT 1 FROM outreach.campaigns WHERE campaign_id = %s", (cid,)).fetchone():
            continue
        conn.execute("SELECT outreach.fn_create_campaign(%s, %s, %s, %s::jsonb, %s, %s)",
                     (cid, name, channel, json.dumps(steps), min_tier, status))
        made += 1
    run.result.figures["campaigns"] = made


#: the gate checks of a run: a sample of its companies plus every one it gave an override
GATE_CHECKS_SQL = f"""
CREATE TEMP TABLE seed_gate ON COMMIT DROP AS
SELECT s.cid, g.audit_id, g.is_eligible, g.block_reason
  FROM ((SELECT %(prefix)s || lpad(g.i::text, 8, '0') AS cid
           FROM generate_series(%(first)s::int8, %(last)s::int8) AS g(i)
          ORDER BY {_draw(32, 1_000_000)}, g.i
          LIMIT %(sample)s)
        UNION  -- the companies given an override, so that their verdicts show
        SELECT m.company_unique_id FROM outreach.manual_overrides m
         WHERE m.created_by = %(actor)s AND starts_with(m.company_unique_id, %(prefix)s)
           AND substr(m.company_unique_id, length(%(prefix)s) + 1)::bigint BETWEEN %(first)s AND %(last)s) AS s
 CROSS JOIN LATERAL outreach.fn_safety_gate_check(s.cid, %(campaign)s, 'seed-' || %(seed)s || '-' || s.cid,
                                                  'EMAIL', false) AS g"""

SENDS_SQL = """
WITH ins AS (
    INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, sequence_id, channel,
                                   gate_audit_id)
    SELECT t.outreach_id, t.company_unique_id, t.target_id, q.campaign_id, q.sequence_id, 'EMAIL', g.audit_id
      FROM seed_gate g
      JOIN outreach.company_target t ON t.company_unique_id = g.cid
      JOIN outreach.sequences q ON q.campaign_id = %(campaign)s AND q.step_number = 1
     WHERE g.is_eligible
    RETURNING 1)
SELECT count(*) FROM ins"""

#: engagement on the run's sends: opens, clicks, a few replies (each adds a
#: BIT signal through its trigger), bounces and unsubscribes
ENGAGEMENT_SQL = """
WITH ins AS (
    INSERT INTO outreach.engagement_events (send_id, outreach_id, company_unique_id, target_id, event_type, occurred_at)
    SELECT s.send_id, s.outreach_id, s.company_unique_id, s.target_id, e.event_type, now()
      FROM seed_gate g
      JOIN outreach.send_log s ON s.gate_audit_id = g.audit_id
     CROSS JOIN LATERAL (SELECT (hashint8extended(s.send_id, %(seed)s) & 1073741823) %% 100 AS r) AS x
     CROSS JOIN LATERAL (VALUES (1, 'OPEN', x.r < 45), (2, 'CLICK', x.r < 12), (3, 'REPLY', x.r < 4),
                                (4, 'BOUNCE', x.r >= 97), (5, 'UNSUBSCRIBE', x.r = 96)) AS e(n, event_type, wanted)
     WHERE e.wanted
     ORDER BY s.send_id, e.n
    RETURNING 1)
SELECT count(*) FROM ins"""


def _sends(conn, run: _Run) -> None:
    """Real gate checks for a sample of companies (at most 1,000, plus every
    company this run gave an override) against the active renewal campaign, a
    send for each cleared one (step 1), and engagement events on some sends."""
    params = {**run.params, "campaign": campaign_ids(run.result.seed)[0], "actor": SEED_ACTOR,
              "sample": min(1000, run.result.companies)}
    with conn.transaction():
        conn.execute(GATE_CHECKS_SQL, params)
        checked, cleared = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE is_eligible) FROM seed_gate").fetchone()
        sends = conn.execute(SENDS_SQL, params).fetchone()[0]
        events = conn.execute(ENGAGEMENT_SQL, params).fetchone()[0]
    run.result.figures.update(gate_checks=checked, gate_cleared=cleared, sends=sends, engagement_events=events)


# ------------------------------------------------------------------ the run
def seeded_companies(dsn: str, seed: int = DEFAULT_SEED) -> int:
    """How many companies of `seed` CL already holds (0 on an unmigrated database)."""
    with connect(dsn, autocommit=True, application_name="pyctl seed") as conn:
        if conn.execute("SELECT to_regclass('cl.company_identity') IS NULL").fetchone()[0]:
            return 0
        return conn.execute(
            "SELECT count(*) FROM cl.company_identity WHERE starts_with(company_unique_id, %(p)s)"
            " AND substr(company_unique_id, length(%(p)s) + 1) ~ '^[0-9]+$'", {"p": prefix(seed)}).fetchone()[0]


def seed(dsn: str, companies: int, seed: int = DEFAULT_SEED, *, batch_size: int = BATCH_SIZE,
         workers: int = WORKERS, echo: Callable[[str], None] | None = None,
         progress: Callable[[int], None] | None = None) -> SeedResult:
    """Create `companies` companies and everything around them; see the module
    docstring. `progress(n)` is called with the companies of each finished
    batch, `echo(line)` with a line per phase."""
    echo = echo or (lambda _m: None)
    if not isinstance(companies, int) or companies < 1:
        raise PyctlError(f"--companies must be a positive integer (got {companies!r})", exit_code=2)
    if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise PyctlError(f"--seed must be an integer 0..{MAX_SEED} (got {seed!r})", exit_code=2)
    t_start = time.perf_counter()

    with connect(dsn, autocommit=True, application_name="pyctl seed") as conn:
        bulk_session(conn)
        if conn.execute("SELECT to_regclass('cl.company_identity') IS NULL").fetchone()[0]:
            raise PyctlError("the database is not migrated (no cl.company_identity): run `pyctl migrate` first")
        p = prefix(seed)
        last = conn.execute(
            "SELECT max(substr(company_unique_id, length(%(p)s) + 1)::bigint) FROM cl.company_identity"
            " WHERE starts_with(company_unique_id, %(p)s) AND substr(company_unique_id, length(%(p)s) + 1) ~ '^[0-9]+$'",
            {"p": p}).fetchone()[0]
        first = (last or 0) + 1
        # Bulk mode (a superuser): the run's sessions skip the per-row
        # foreign-key checks, like a restore, and check every key set-based
        # at the end.
        bulk = conn.execute("SELECT current_setting('is_superuser') = 'on'").fetchone()[0]
        run = _Run(dsn, seed, first, companies, bulk, error_tables(conn))
        staging = {**run.params, "target_base": _reserve(conn, "outreach.company_target_seq", companies),
                   "slot_base": _reserve(conn, conn.execute(
                       "SELECT pg_get_serial_sequence('people.company_slot', 'slot_id')").fetchone()[0],
                                         2 * companies),
                   "minted_from": MINTED_FROM, "first_words": FIRST_WORDS, "second_words": SECOND_WORDS, "suffixes": SUFFIXES,
                   "dispositions": DISPOSITION_CYCLE}
        result = run.result
        run.mostly_new = companies >= conn.execute("SELECT count(*) FROM outreach.outreach").fetchone()[0]

        # (the ExitStack: a failing run still waits for its background checks,
        # so that no connection of the run outlives it)
        with contextlib.ExitStack() as waits:
            def phase(name: str, fn: Callable[[], object]) -> None:
                t = time.perf_counter()
                echo(f"seed: {name} ...")
                fn()
                result.phases[name] = time.perf_counter() - t

            def background(fn: Callable[[psycopg.Connection], None]) -> _Background | None:
                if not bulk:
                    return None
                check = _Background(run, fn)
                waits.callback(check.thread.join)
                return check

            echo(f"seed: {companies:,} companies {company_id(seed, first)} .. {company_id(seed, result.last_index)}"
                 f" in batches of {batch_size:,} ({workers} workers)")
            batches = [(lo, min(lo + batch_size - 1, result.last_index))
                       for lo in range(first, first + companies, batch_size)]
            phase("companies and sub-hub rows",
                  lambda: _load_batches(run, staging, batches, min(workers, len(batches)), progress))
            loaded = [t for t in BULK_TABLES if t not in WRITTEN_AFTER_LOAD] + run.error_tables
            if bulk:
                # on the core that the (one-session) BIT refresh leaves idle,
                # the loaded tables' keys are checked, the tables vacuumed (hint
                # bits and visibility map set once, before the hub evaluation
                # reads them) and the tables the refresh does not read analysed
                later = [t for t in ANALYZE_AFTER_LOAD if t not in ANALYZE_BEFORE_BIT]
                phase("analyze (what the BIT refresh reads)", lambda: _analyze(conn, ANALYZE_BEFORE_BIT))
                check = background(lambda c: (check_foreign_keys(c, loaded), _vacuum(c, loaded), _analyze(c, later)))
                phase("BIT scores (fn_refresh_bit_scores)", lambda: _refresh_bit_scores(conn, run))
                phase("foreign keys, vacuum and analyze, loaded tables", check.join)
            else:
                phase("analyze (after the load)", lambda: _analyze(conn, ANALYZE_AFTER_LOAD))
            if bulk:
                # each range's session goes on to the range's eligibility rows
                # as soon as its statuses are written: the first phase ends
                # when the last range's are
                ranges = _StatusesAndEligibility(run, _range_sessions(run, workers))
                waits.callback(lambda: [t.join() for t in ranges.threads])
                phase("hub statuses (by company range)", ranges.statuses_written)
                # the keys of the scores and hub statuses are checked meanwhile
                check = background(lambda c: check_foreign_keys(c, WRITTEN_AFTER_LOAD))
                phase("maintained eligibility rows (by company range)",
                      lambda: (ranges.join(), _analyze(conn, ["outreach.company_eligibility"])))
            else:
                phase("hub statuses (by company range)",
                      lambda: _evaluate_hub_statuses(run, _range_sessions(run, workers)))
                phase("FAIL/BLOCKED hubs (fn_set_hub_status)", lambda: _fail_blocked(conn, run))
                check = None
            phase("escalation of parked errors (fn_escalate_stale_parked_errors)",
                  lambda: _escalate_parked_errors(conn, run))
            phase("overrides (set_marketing_override)", lambda: _overrides(conn, run))
            phase("campaigns", lambda: _campaigns(conn, run))
            phase("gate checks, sends, engagement", lambda: _sends(conn, run))
            if check:
                phase("foreign keys, scores and hub statuses", check.join)
            phase("analyze (final)", lambda: _analyze(conn, ANALYZE_AT_THE_END + run.error_tables))
        run.cpu.add(conn)
        result.cpu_seconds = run.cpu.total
        conn.execute("INSERT INTO shq.audit_log (event_type, actor, details) VALUES ('SEED', %s, %s::jsonb)",
                     (SEED_ACTOR, json.dumps({"companies": companies, "seed": seed, "first_index": first,
                                              "figures": result.figures, "server_cpu_seconds": result.cpu_seconds,
                                              "seconds": round(time.perf_counter() - t_start, 2)})))
    result.seconds = time.perf_counter() - t_start
    return result


# ------------------------------------------------------------------ workloads of the benchmarks
# What a benchmark measures on top of (or instead of) seeded companies. None
# of them writes a sovereign table: the rows go to CL through its own
# function, or to tables that take INSERTs from their writers.

def unbound_companies(conn, n: int, id_prefix: str) -> int:
    """`n` companies `<id_prefix><i>` (i = 1..n) registered with CL through
    cl.fn_register_company and not yet given an outreach_id."""
    return conn.execute(
        "SELECT count(cl.fn_register_company(%(p)s || i, 'Company ' || %(p)s || i, lower(%(p)s) || i || '.test'))"
        " FROM generate_series(1, %(n)s::int8) AS i", {"p": id_prefix, "n": n}).fetchone()[0]


#: signals `first`..`last` over seeded companies 1..`companies`: interleaved
#: across companies over ~400 days, the catalogue's types in turn (decaying
#: and not), each at its type's points
BIT_SIGNALS_SQL = """
INSERT INTO {table} (outreach_id, company_unique_id, signal_type, points, occurred_at, dedup_key)
SELECT o.outreach_id, o.company_unique_id, t.signal_type, t.points,
       now() - ((g * 7919) %% 400000) * interval '86.4 seconds', %(tag)s || g
  FROM generate_series(%(first)s::int8, %(last)s::int8) AS g
  JOIN outreach.outreach o ON o.company_unique_id = %(prefix)s || lpad(((g * 104729) %% %(companies)s + 1)::text, 8, '0')
  JOIN (SELECT signal_type, points, row_number() OVER (ORDER BY signal_type) - 1 AS r,
               count(*) OVER () AS types
          FROM outreach.bit_signal_types) t ON t.r = g %% t.types"""


def add_bit_signals(conn, seed: int, companies: int, first: int, last: int, tag: str,
                    table: str = "outreach.bit_signals") -> int:
    """Signals number `first`..`last` (dedup key `<tag><number>`) over
    companies 1..`companies` of `seed`, into `table` (bit_signals, or a copy
    of it); returns how many were stored."""
    return conn.execute(sql.SQL(BIT_SIGNALS_SQL).format(table=_qualified(table)),
                        {"prefix": prefix(seed), "companies": companies, "first": first, "last": last,
                         "tag": tag}).rowcount


#: kill switches for the benchmarks, more of them than the seed sets (company
#: number k): FORCE_TIER 1 for k % 100 = 3, BLOCK_EMAIL expiring tomorrow for
#: k % 200 = 7, BLOCK_OUTREACH expiring a second after it is set for
#: k % 200 = 11, and BLOCK_PHONE for k % 200 = 13, removed again below
BENCH_OVERRIDES_SQL = """
SELECT count(outreach.set_marketing_override(%(prefix)s || lpad(k::text, 8, '0'), v.otype, 'bench workload',
                                             %(actor)s, v.cap, v.expires_at))
  FROM generate_series(%(first)s::int8, %(last)s::int8) AS k
 CROSS JOIN LATERAL (VALUES ('FORCE_TIER', 1, NULL::timestamptz, k %% 100 = 3),
                            ('BLOCK_EMAIL', NULL, now() + interval '1 day', k %% 200 = 7),
                            ('BLOCK_OUTREACH', NULL, clock_timestamp() + interval '1 second', k %% 200 = 11),
                            ('BLOCK_PHONE', NULL, NULL, k %% 200 = 13)) AS v(otype, cap, expires_at, pick)
 WHERE v.pick"""
BENCH_OVERRIDES_REMOVED_SQL = """
SELECT count(outreach.remove_marketing_override(%(prefix)s || lpad(k::text, 8, '0'), 'BLOCK_PHONE',
                                                'bench workload', %(actor)s))
  FROM generate_series(%(first)s::int8, %(last)s::int8) AS k
 WHERE k %% 200 = 13"""
BENCH_ACTOR = "pyctl bench"
#: companies per transaction of add_overrides: each override change holds its
#: company's kill-switch lock to the end of its transaction, and PostgreSQL's
#: lock table (max_locks_per_transaction x max_connections, 6,400 entries by
#: default) cannot hold the ~25,000 of a million companies at once
OVERRIDE_CHUNK = 50_000


def add_overrides(conn, seed: int, companies: int, chunk: int = OVERRIDE_CHUNK) -> int:
    """The benchmarks' kill switches (about 2.5 % of the companies 1..`companies`
    of `seed`: active, expired and removed ones) through
    set_marketing_override and remove_marketing_override, `chunk` companies
    per statement (per transaction on an autocommit connection); returns when
    the short ones have expired. Returns how many were set."""
    n = 0
    for first in range(1, companies + 1, chunk):
        params = {"prefix": prefix(seed), "first": first, "last": min(first + chunk - 1, companies),
                  "actor": BENCH_ACTOR}
        n += conn.execute(BENCH_OVERRIDES_SQL, params).fetchone()[0]
        conn.execute(BENCH_OVERRIDES_REMOVED_SQL, params)
    # until the short ones are past their expiry (each expires a second after
    # it was set: clock_timestamp, since setting them all can take longer than
    # a second, and set_marketing_override refuses an expiry in the past)
    conn.execute("SELECT pg_sleep(extract(epoch FROM max(expires_at) - clock_timestamp()))"
                 "  FROM outreach.manual_overrides WHERE expires_at < now() + interval '1 minute'")
    return n


#: `expired` errors past their TTL in every tier and a RETRY, RESOLVED or
#: IGNORE disposition, and `kept` rows each of three kinds that TTL archiving
#: must leave: PARKED, INFINITE and fresh
EXPIRED_ERRORS_SQL = """
INSERT INTO {table} (outreach_id, failure_code, error_message, context, created_at, disposition, retry_count,
                     ttl_tier, parked_at, next_retry_at)
SELECT gen_random_uuid(),
       (ARRAY['RATE_LIMIT', 'TIMEOUT', 'VALIDATION_ERROR', 'MISSING_DATA', 'HTTP_500'])[1 + i %% 5],
       'bench error ' || i || ': upstream said no',
       jsonb_build_object('attempt', i %% 7, 'source', 'bench'),
       now() - interval '100 days' - (i %% 100000) * interval '1 second',
       CASE WHEN i %% 4 = 0 THEN 'RESOLVED' WHEN i %% 4 = 1 THEN 'IGNORE' ELSE 'RETRY' END::shq.error_disposition,
       i %% 3,
       (ARRAY['SHORT', 'MEDIUM', 'LONG'])[1 + i %% 3]::shq.ttl_tier,
       NULL, now()
  FROM generate_series(1, %(expired)s::int8) AS i
UNION ALL
SELECT gen_random_uuid(), 'HTTP_500', 'kept', '{{}}', now() - interval '400 days',
       'PARKED', 3, 'LONG', now() - interval '10 days', NULL
  FROM generate_series(1, %(kept)s::int8)
UNION ALL
SELECT gen_random_uuid(), 'HTTP_500', 'kept', '{{}}', now() - interval '400 days',
       'RETRY', 0, 'INFINITE', NULL, now()
  FROM generate_series(1, %(kept)s::int8)
UNION ALL
SELECT gen_random_uuid(), 'TIMEOUT', 'kept', '{{}}', now() - interval '1 day',
       'RETRY', 0, 'SHORT', NULL, now()
  FROM generate_series(1, %(kept)s::int8)"""


def expired_errors(conn, table: str, expired: int, kept: int) -> None:
    """Errors for TTL archiving in governed table `table` (all 100+ days old,
    so past every finite TTL), plus 3 × `kept` rows that must stay."""
    conn.execute(sql.SQL(EXPIRED_ERRORS_SQL).format(table=_qualified(table)), {"expired": expired, "kept": kept})


#: rows for the seals: audit_log events and gate verdicts that need no other data
AUDIT_ROWS_SQL = [
    """
    INSERT INTO shq.audit_log (event_type, actor, correlation_id, details)
    SELECT 'BENCH_' || (i %% 7), 'pyctl bench', 'corr-' || i,
           jsonb_build_object('i', i, 'note', md5(i::text), 'ok', i %% 2 = 0)
      FROM generate_series(1, %(n)s::int8) AS i
    """,
    """
    INSERT INTO outreach.send_attempt_audit (company_unique_id, campaign_id, correlation_id, channel,
                                             computed_tier, effective_tier, was_blocked, block_reason, is_dry_run)
    SELECT 'BENCH-' || i, 'BENCH-CAMPAIGN', 'corr-' || i, 'EMAIL', i %% 4, i %% 4, i %% 4 = 0,
           CASE WHEN i %% 4 = 0 THEN 'TIER_BELOW_CAMPAIGN_MINIMUM' END, false
      FROM generate_series(1, %(n)s::int8) AS i
    """,
]


def audit_rows(conn, n: int) -> None:
    """`n` shq.audit_log rows and `n` send_attempt_audit rows (2n in all)."""
    for stmt in AUDIT_ROWS_SQL:
        conn.execute(stmt, {"n": n})


#: gate verdicts in time order, spread evenly over `span` and ending `offset`
#: ago: a third blocked (the five tier/kill-switch reasons in turn), one in
#: twenty a dry run; the companies need not exist (the audit names them as text)
GATE_HISTORY_SQL = """
INSERT INTO outreach.send_attempt_audit (company_unique_id, campaign_id, correlation_id, channel, computed_tier,
                                         effective_tier, was_blocked, block_reason, is_dry_run, attempt_timestamp)
SELECT 'BENCH-' || (i %% 50000), 'BENCH-CAMPAIGN', 'bench-' || i, 'EMAIL', i %% 4, i %% 4, i %% 3 = 0,
       CASE WHEN i %% 3 = 0 THEN (ARRAY['TIER_BELOW_CAMPAIGN_MINIMUM', 'INELIGIBLE_TIER', 'BLOCKING_OVERRIDE',
                                         'MARKETING_DISABLED', 'OPTED_OUT'])[1 + i %% 5] END,
       i %% 20 = 0,
       now() - %(offset)s::interval - %(span)s::interval * (%(n)s - i) / %(n)s
  FROM generate_series(1, %(n)s) AS i
 ORDER BY i
"""


def gate_history(conn, n: int, span: str, offset: str = "0") -> None:
    """`n` gate verdicts (send_attempt_audit rows) spread over `span` (an
    interval), the last one `offset` ago (GATE_HISTORY_SQL)."""
    conn.execute(GATE_HISTORY_SQL, {"n": n, "span": span, "offset": offset})


#: a campaign's send history over the seeded companies eligible for it (k is
#: the company's number): about 1 in 8 got step 1 (4-9 days ago), 1 in 24
#: step 2 (1-3 days ago), 1 in 96 step 3 today; each send with a passing
#: gate verdict written as history
CAMPAIGN_HISTORY_SQL = [
    """CREATE TEMP TABLE seed_history AS
       SELECT e.company_unique_id, t.target_id, t.outreach_id, st.step_number, s.sequence_id,
              now() - make_interval(days => st.days_ago, hours => (k %% 24)::int) AS sent_at,
              gen_random_uuid() AS audit_id,
              row_number() OVER (ORDER BY e.company_unique_id, st.step_number) AS n
         FROM outreach.vw_marketing_eligibility_with_overrides e
         JOIN outreach.company_target t ON t.outreach_id = e.outreach_id
        CROSS JOIN LATERAL (SELECT substr(e.company_unique_id, strpos(e.company_unique_id, '-') + 1)::bigint AS k) kk
        CROSS JOIN LATERAL (VALUES (1, 4 + (k %% 6)::int, k %% 8 = 0),
                                   (2, 1 + (k %% 3)::int, k %% 24 = 0),
                                   (3, 0, k %% 96 = 0)) AS st (step_number, days_ago, pick)
         JOIN outreach.sequences s ON s.campaign_id = %(campaign)s AND s.step_number = st.step_number
        WHERE st.pick AND starts_with(e.company_unique_id, %(prefix)s) AND e.effective_tier >= 1
          AND e.outreach_status IN ('queued', 'active') AND NOT e.email_blocked""",
    """INSERT INTO outreach.send_attempt_audit (audit_id, company_unique_id, campaign_id, correlation_id, channel,
                                                computed_tier, effective_tier, was_blocked, block_reason, is_dry_run)
       SELECT h.audit_id, h.company_unique_id, %(campaign)s, 'seed-history', 'EMAIL', 1, 1, false, NULL, false
         FROM seed_history h""",
]
#: one batch of the history's sends (the send_log guard takes one advisory
#: lock per row: a transaction must not hold more than the lock table can take)
HISTORY_SENDS_SQL = """
INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, sequence_id, channel,
                               gate_audit_id, sent_at)
SELECT h.outreach_id, h.company_unique_id, h.target_id, %(campaign)s, h.sequence_id, 'EMAIL', h.audit_id, h.sent_at
  FROM seed_history h
 WHERE h.n BETWEEN %(lo)s AND %(hi)s
 ORDER BY h.n"""
HISTORY_SEND_BATCH = 5_000


def campaign_history(conn, seed: int, campaign_id: str) -> int:
    """The send history of campaign `campaign_id` (3 steps, EMAIL) over the
    companies of `seed`, on an autocommit connection; returns the sends.
    The gate verdicts are written as history (passing, as they were); the
    send_log guard still checks each send against its verdict."""
    params = {"campaign": campaign_id, "prefix": prefix(seed)}
    try:
        for stmt in CAMPAIGN_HISTORY_SQL:
            conn.execute(stmt, params)
        sends = conn.execute("SELECT count(*) FROM seed_history").fetchone()[0]
        for lo in range(1, sends + 1, HISTORY_SEND_BATCH):
            conn.execute(HISTORY_SENDS_SQL, {**params, "lo": lo, "hi": lo + HISTORY_SEND_BATCH - 1})
    finally:
        conn.execute("DROP TABLE IF EXISTS seed_history")
    return sends


#: a backlog of analytics OPEN events over 50,000 companies, in one statement,
#: with the payload keys of their type (the outbox benchmark drains it)
OUTBOX_BACKLOG_SQL = """
INSERT INTO outreach.outbox_events (destination, event_type, company_unique_id, payload, occurred_at)
SELECT 'analytics', 'OPEN', 'BENCH-' || (g.i %% 50000),
       jsonb_build_object('engagement_event_id', g.i, 'send_id', g.i, 'target_id', 'TGT-BENCH', 'campaign_id', 'BENCH'),
       now()
  FROM generate_series(1, %(n)s) AS g(i)
"""


def outbox_backlog(conn, n: int) -> None:
    """`n` events waiting in the outbox for the analytics destination (the
    companies need not exist: an event names its company as text). Written
    as their owner would: a superuser's connection, in a scratch database."""
    conn.execute(OUTBOX_BACKLOG_SQL, {"n": n})
