"""`pyctl seed --companies N [--seed S]`: realistic, reproducible synthetic data
at any size (SPEC §14, §16.13), set-based.

What one run creates (N companies, numbered i = first .. first + N - 1):

* CL: N companies `S<seed>-<i, 8 digits>` (~3 % INELIGIBLE, ~2 % UNVERIFIED,
  mostly `prospect`), each bound to a spine row (outreach_id = md5 of seed and
  i, so the same seed gives the same ids): spine aligned, §16.13.
* A Company Target per company, and sub-hub rows planned so that the tiers
  spread over -1..3 (about 40 % stay at tier 0 in several partial states, 25 %
  reach tier 1, 20 % tier 2, 15 % tier 3): company_target completion, dol
  (+ filings), people.company_slot (+ people_master, verified or not),
  outreach.people contacts, talent_flow, blog (+ blog_signals).
* BIT signals over the last 180 days (DOMAIN_VERIFIED, DOL_RENEWAL_PROXIMITY,
  SLOT_FILLED, EXECUTIVE_MOVEMENT, NEWS_MENTION), scored by their own trigger,
  or in bulk mode by one `outreach.fn_refresh_bit_scores()` after the load.
* Governed errors (~3 % of companies) in every disposition (RETRY, PARKED with
  escalation, RESOLVED, IGNORE, ARCHIVED) across the five governed tables;
  RETRY/PARKED ones block their hub's promotion, as they would in production.
* Hub statuses through the sanctioned writers only:
  `fn_evaluate_hub_statuses_range` (two company ranges at once) promotes
  every hub whose gate passes; `fn_set_hub_status` marks a few companies
  FAIL/BLOCKED (tier -1).
* A few kill-switch overrides through `outreach.set_marketing_override`.
* Four campaigns with sequences (`fn_create_campaign`), real safety-gate
  checks for a sample of companies (blocked attempts by reason), sends for the
  cleared ones and engagement events on some sends.

Everything per company is a pure function of (seed, i) (`hashint8extended`),
so a run is reproducible; a second run with the same seed continues the
numbering (i after the highest existing one) and so adds N new companies.

Speed: batches of BATCH_SIZE companies, each one transaction of a few
INSERT ... SELECT statements from a temporary staging table, run by two
worker connections in parallel (the reference machine has two cores); the
target_id numbers and slot ids are reserved up front from their sequences so
that parallel batches stay reproducible. The sovereign tables are written
only by their sanctioned functions. Needs a superuser (or the owner): CL and
the sub-hub tables are written directly, as CL and the hubs would.

Bulk mode (a superuser): the sessions run with session_replication_role =
replica, which skips the per-row foreign-key checks (the project's own
triggers are ENABLE ALWAYS and still fire), and every foreign key of the
tables written is then checked once, set-based (_check_foreign_keys).
"""
from __future__ import annotations

import contextlib
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
#: concurrent fn_evaluate_hub_statuses_range sessions, at most (one per core:
#: each one builds its own hash tables of the sub-hub tables), and the
#: companies each of them gets, at least
EVALUATE_SESSIONS = 2
EVALUATE_MIN_RANGE = 100_000
DEFAULT_SEED = 42
MAX_SEED = 2**31 - 1
SEED_ACTOR = "pyctl seed"

#: (hub of the error, table) of the governed error tables, as in shq.governed_error_tables
ERROR_TABLES = ["outreach.company_target_errors", "outreach.dol_errors", "people.people_errors",
                "company.url_discovery_failures", "public.shq_error_log"]

#: every table the seed's bulk-mode sessions write (their foreign keys are checked at the end)
BULK_TABLES = ["cl.company_identity", "outreach.outreach", "outreach.company_target", "outreach.dol",
               "outreach.dol_filings", "people.company_slot", "people.people_master", "outreach.people",
               "outreach.talent_flow", "outreach.blog", "outreach.blog_signals", "outreach.bit_signals",
               "outreach.bit_scores", "outreach.company_hub_status", *ERROR_TABLES]

FIRST_WORDS = ["Acme", "Summit", "Blue Ridge", "Harbor", "Pioneer", "Granite", "Evergreen", "Keystone",
               "Lakeside", "Northwind", "Redwood", "Silverline", "Cedar", "Ironwood", "Beacon", "Meridian",
               "Crescent", "Prairie", "Atlas", "Riverbend"]
SECOND_WORDS = ["Logistics", "Health", "Manufacturing", "Dental", "Foods", "Engineering", "Realty", "Auto Group",
                "Staffing", "Software", "Construction", "Hospitality", "Plastics", "Financial", "Energy",
                "Pharmacy", "Transport", "Labs", "Retail", "Insurance"]
SUFFIXES = ["Inc", "LLC", "Corp", "Group", "Co"]


@dataclass
class SeedResult:
    companies: int
    seed: int
    first_index: int
    last_index: int
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    #: server CPU seconds per phase (main connection; the batch phase: both workers)
    phases_cpu: dict[str, float] = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    #: CPU seconds the server spent in this run's backends (None when the
    #: server's /proc is not readable here): on an idle machine with W cores
    #: the run takes about cpu_seconds / W, whatever else is running now
    cpu_seconds: float | None = None


def _arr(words: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


class _Plan:
    """The SQL that derives every company's data from (seed, i)."""

    def __init__(self, seed: int, first: int, tseq_base: int, slot_base: int):
        self.seed = seed
        self.first = first
        self.tseq_base = tseq_base
        self.slot_base = slot_base
        self.prefix = f"S{seed}-"

    def h(self, k: int, mod: int = 1000, col: str = "g.i") -> str:
        """A deterministic pseudo-random integer 0..mod-1 of company `col`, stream k."""
        return f"((hashint8extended({col}, {self.seed * 64 + k}) & 1073741823) % {mod})::integer"

    def cid(self, col: str = "g.i") -> str:
        return f"('{self.prefix}' || lpad({col}::text, 8, '0'))"

    def derived(self, lo: int, hi: int) -> str:
        """One row per company i in lo..hi with its whole plan."""
        h = self.h
        return f"""
SELECT g.i,
       {self.cid()} AS cid,
       md5('pyctl-seed:{self.seed}:' || g.i)::uuid AS oid,
       'TGT-' || left({self.cid()}, 8) || '-' || ({self.tseq_base} + g.i - {self.first}) AS tid,
       {self.slot_base} + 2 * (g.i - {self.first}) AS slot1,
       {self.slot_base} + 2 * (g.i - {self.first}) + 1 AS slot2,
       {h(1)} >= 30 AS elig,
       {h(2)} >= 20 AS ident,
       CASE WHEN {h(10, 100)} < 90 THEN 'prospect' WHEN {h(10, 100)} < 95 THEN 'sales'
            WHEN {h(10, 100)} < 99 THEN 'client' ELSE 'churned' END AS lifecycle,
       CASE WHEN {h(3, 100)} < 40 THEN 0 WHEN {h(3, 100)} < 65 THEN 1 WHEN {h(3, 100)} < 85 THEN 2 ELSE 3 END AS plan,
       {h(4, 4)} AS variant,
       CASE WHEN {h(9)} < 5 THEN 'opted_out' WHEN {h(9)} < 15 THEN 'paused' ELSE 'queued' END AS ostatus,
       {h(5, 2)} = 0 AS coin,
       {h(6, 10)} = 0 AS contact,
       {h(7, 4)} = 0 AS blog_sig,
       {h(8, 3)} = 0 AS filing,
       ({h(11)} < 30 OR g.i - {lo} < 5) AS has_error,
       {h(12, 5)} AS err_table,
       {h(14, 60)} AS err_age,
       {h(15, 6)} AS err_code,
       {h(16, 100)} AS r_domain,
       {h(17, 100)} AS r_dol,
       {h(18, 100)} AS r_slot,
       {h(19, 100)} AS r_exec,
       {h(20, 100)} AS r_news,
       {h(21, 180 * 24)} AS age_h1,
       {h(22, 180 * 24)} AS age_h2,
       {h(23, 180 * 24)} AS age_h3,
       {h(24, 180 * 24)} AS age_h4,
       {h(25, 20)} AS w1,
       {h(26, 20)} AS w2,
       {h(27, 5)} AS w3,
       {h(28, 1000000)} AS big
  FROM generate_series({lo}, {hi}) AS g(i)"""

    def staging(self, lo: int, hi: int) -> str:
        """CREATE the batch's staging table: the plan plus its consequences."""
        return f"""
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
       ({_arr(FIRST_WORDS)})[1 + d.w1] AS word1,
       ({_arr(SECOND_WORDS)})[1 + d.w2] AS word2,
       ({_arr(SUFFIXES)})[1 + d.w3] AS suffix,
       -- the batch's errors cycle through a 20-step pattern (RETRY 35 %, PARKED 15 %,
       -- RESOLVED 30 %, IGNORE 10 %, ARCHIVED 10 %) whose first five are all different,
       -- so every batch with five errors (every batch has) holds every disposition
       CASE WHEN d.has_error THEN ({_arr(DISPOSITION_CYCLE)})[
           1 + ((row_number() OVER (PARTITION BY d.has_error ORDER BY d.i) - 1) % {len(DISPOSITION_CYCLE)})::integer]
       END AS err_disposition
  FROM ({self.derived(lo, hi)}) AS d"""


# ------------------------------------------------------------------ batch SQL
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

DISPOSITION_CYCLE = ["RETRY", "PARKED", "RESOLVED", "IGNORE", "ARCHIVED", "RETRY", "RESOLVED", "RETRY", "PARKED",
                     "RESOLVED", "RETRY", "RESOLVED", "IGNORE", "RETRY", "PARKED", "RESOLVED", "ARCHIVED", "RETRY",
                     "RESOLVED", "RETRY"]

#: failure codes and their TTL tier (SPEC §7)
ERROR_CODES = [("RATE_LIMIT", "SHORT"), ("TIMEOUT", "SHORT"), ("VALIDATION_ERROR", "MEDIUM"),
               ("MISSING_DATA", "MEDIUM"), ("PARSE_ERROR", "LONG"), ("HTTP_404", "LONG")]


def _error_sql(table: str, k: int) -> str:
    """Errors of the batch that go to governed table number k, in the
    disposition the staging table gave them (PARKED ones escalated by age)."""
    codes = "ARRAY[" + ", ".join(f"'{c}'" for c, _ in ERROR_CODES) + "]"
    ttls = "ARRAY[" + ", ".join(f"'{t}'" for _, t in ERROR_CODES) + "]"
    return f"""
INSERT INTO {table} (outreach_id, failure_code, error_message, context, created_at, resolved_at, disposition,
                     retry_count, archived_at, parked_at, parked_by, park_reason, escalation_level, escalated_at,
                     ttl_tier, last_retry_at, next_retry_at, retry_exhausted)
SELECT b.oid, x.code, x.code || ' while enriching ' || b.cid,
       jsonb_build_object('seed', true, 'company_unique_id', b.cid),
       x.created, CASE WHEN x.disp = 'RESOLVED' THEN x.created + interval '2 hours' END,
       x.disp::shq.error_disposition,
       CASE WHEN x.disp = 'PARKED' THEN m.max_retries WHEN x.disp = 'RETRY' THEN b.big % m.max_retries ELSE 1 END,
       CASE WHEN x.disp = 'ARCHIVED' THEN x.created + interval '1 day' END,
       CASE WHEN x.disp = 'PARKED' THEN x.created + interval '1 hour' END,
       CASE WHEN x.disp = 'PARKED' THEN 'system' END,
       CASE WHEN x.disp = 'PARKED' THEN 'MAX_RETRIES_EXCEEDED' END,
       CASE WHEN x.disp <> 'PARKED' THEN 0 WHEN x.age_days >= 8 THEN 3 WHEN x.age_days >= 4 THEN 2
            WHEN x.age_days >= 2 THEN 1 ELSE 0 END,
       CASE WHEN x.disp = 'PARKED' AND x.age_days >= 2 THEN now() - interval '1 hour' END,
       x.ttl::shq.ttl_tier,
       CASE WHEN x.disp IN ('RETRY', 'PARKED') THEN x.created + interval '30 minutes' END,
       CASE WHEN x.disp = 'RETRY' THEN now() + make_interval(mins => 5 + b.big % 120) END,
       x.disp = 'PARKED'
  FROM seed_batch b
  JOIN shq.governed_error_tables m ON m.table_name = '{table}'
 CROSS JOIN LATERAL (
        SELECT b.err_disposition AS disp,
               ({codes})[1 + b.err_code] AS code,
               ({ttls})[1 + b.err_code] AS ttl,
               -- RETRY rows are recent (they would have been retried or parked otherwise)
               CASE WHEN b.err_disposition = 'RETRY' THEN b.err_age % 2 ELSE b.err_age % 20 END AS age_days,
               now() - make_interval(days => CASE WHEN b.err_disposition = 'RETRY' THEN b.err_age % 2 ELSE b.err_age % 20 END,
                                     hours => b.big % 24) AS created) AS x
 WHERE b.has_error AND b.err_table = {k}"""


# ------------------------------------------------------------------ helpers
def _has_function(conn, signature: str) -> bool:
    return conn.execute("SELECT to_regprocedure(%s) IS NOT NULL", (signature,)).fetchone()[0]


def _reserve(conn, sequence_sql: str, count: int) -> int:
    """Reserve `count` consecutive values of a sequence; return the first."""
    seq = conn.execute(sequence_sql).fetchone()[0]
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"pyctl seed reserve {seq}",))
        first = conn.execute("SELECT nextval(%s::regclass)", (seq,)).fetchone()[0]
        conn.execute("SELECT setval(%s::regclass, %s)", (seq, first + count - 1))
    return first


def _backend_cpu(conn) -> float | None:
    """CPU seconds used so far by this connection's server process, when the
    server runs on this machine and its /proc entry is readable."""
    import os

    try:
        with open(f"/proc/{conn.info.backend_pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class _Cpu:
    """Adds up the backend CPU of every connection of the run."""

    def __init__(self):
        self.total: float | None = 0.0
        self.lock = threading.Lock()

    def add(self, conn) -> None:
        self.add_seconds(_backend_cpu(conn))

    def add_seconds(self, v: float | None) -> None:
        with self.lock:
            self.total = None if v is None or self.total is None else self.total + v


def _session(conn, bulk: bool = False) -> None:
    conn.execute("SET synchronous_commit = off")
    conn.execute("SET client_min_messages = warning")
    if bulk:
        # foreign keys are checked once, set-based, at the end (_check_foreign_keys);
        # the project's guard and attachment triggers are ENABLE ALWAYS and still fire
        conn.execute("SET session_replication_role = replica")


# ------------------------------------------------------------------ the run
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

    # (the ExitStack: a failing run still waits for its background checks, so
    # that no connection of the run outlives it)
    with connect(dsn, autocommit=True, application_name="pyctl seed") as conn, contextlib.ExitStack() as waits:
        _session(conn)
        if conn.execute("SELECT to_regclass('cl.company_identity') IS NULL").fetchone()[0]:
            raise PyctlError("the database is not migrated (no cl.company_identity): run `pyctl migrate` first")
        prefix = f"S{seed}-"
        last = conn.execute(
            "SELECT max(substr(company_unique_id, %s)::bigint) FROM cl.company_identity"
            " WHERE left(company_unique_id, %s) = %s AND substr(company_unique_id, %s) ~ '^[0-9]+$'",
            (len(prefix) + 1, len(prefix), prefix, len(prefix) + 1)).fetchone()[0]
        first = (last or 0) + 1
        result = SeedResult(companies, seed, first, first + companies - 1)
        tseq = _reserve(conn, "SELECT 'outreach.company_target_seq'", companies)
        slot_base = _reserve(conn, "SELECT pg_get_serial_sequence('people.company_slot', 'slot_id')", 2 * companies)
        plan = _Plan(seed, first, tseq, slot_base)
        # Bulk mode (a superuser): the seed's sessions skip the per-row
        # foreign-key checks, like a restore, and check every foreign key of
        # the tables they wrote set-based at the end.
        bulk = conn.execute("SELECT current_setting('is_superuser') = 'on'").fetchone()[0]
        can_refresh = _has_function(conn, "outreach.fn_refresh_bit_scores(uuid[],timestamp with time zone)")
        # bit_scores: the signals' own trigger (ENABLE ORIGIN, so silent in
        # bulk mode) refreshes the scores of the companies each INSERT gave
        # signals; in bulk mode one full refresh after the load does it, and
        # without the trigger, one outreach.fn_refresh_bit_scores() call per batch
        refresh = can_refresh and not bulk and not conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'outreach.bit_signals'::regclass"
            " AND NOT tgisinternal AND tgtype & 4 = 4)").fetchone()[0]

        # -------------------------------------------------- batches, in parallel
        echo(f"seed: {companies:,} companies S{seed}-{first:08d} .. S{seed}-{first + companies - 1:08d}"
             f" in batches of {batch_size:,} ({workers} workers)")
        t0 = time.perf_counter()
        batches = [(lo, min(lo + batch_size - 1, first + companies - 1))
                   for lo in range(first, first + companies, batch_size)]
        cpu = _Cpu()
        _run_batches(dsn, plan, batches, min(workers, len(batches)), refresh, bulk, progress, result, cpu)
        result.phases["companies and sub-hub rows"] = time.perf_counter() - t0

        # -------------------------------------------------- global steps
        if cpu.total is not None:
            result.phases_cpu["companies and sub-hub rows"] = cpu.total

        def phase(name, fn):
            """Run fn, timed; fn may return the CPU seconds of other connections it used."""
            t = time.perf_counter()
            c0 = _backend_cpu(conn)
            echo(f"seed: {name} ...")
            other_cpu = fn()
            result.phases[name] = time.perf_counter() - t
            c1 = _backend_cpu(conn)
            if c0 is not None and c1 is not None:
                result.phases_cpu[name] = c1 - c0 + (other_cpu if isinstance(other_cpu, float) else 0.0)
                if isinstance(other_cpu, float):
                    cpu.add_seconds(other_cpu)

        phase("analyze (after the load)", lambda: conn.execute(
            "ANALYZE cl.company_identity, outreach.outreach, outreach.company_target, outreach.company_hub_status,"
            " outreach.dol, people.company_slot, people.people_master, outreach.talent_flow, outreach.blog,"
            " outreach.bit_signals, outreach.bit_scores, outreach.hub_registry"))
        # bulk mode: on the core that the (one-session) BIT refresh leaves
        # idle, the loaded tables' foreign keys are checked and the tables
        # vacuumed (hint bits and visibility map set once, before the hub
        # evaluation reads them, and no autovacuum of them during it); the
        # keys of the two tables written after the load are checked while
        # the last small steps run
        later = ["outreach.bit_scores", "outreach.company_hub_status"]
        loaded = [t for t in BULK_TABLES if t not in later]
        check = _Background(dsn, lambda c: (_check_foreign_keys(c, loaded),
                                            c.execute("VACUUM " + ", ".join(loaded)))) if bulk else None
        if check:
            waits.callback(check.thread.join)
        if bulk and can_refresh:
            phase("BIT scores (fn_refresh_bit_scores)", lambda: _refresh_bit_scores(conn))
        if check:
            phase("foreign keys and vacuum, loaded tables", check.join)
        if _has_function(conn, "outreach.fn_evaluate_hub_statuses_range(text,text)"):
            phase("hub statuses (by company range)", lambda: _evaluate_hub_statuses(
                dsn, plan, result, min(workers, EVALUATE_SESSIONS, max(1, companies // EVALUATE_MIN_RANGE)), bulk))
        elif _has_function(conn, "outreach.fn_evaluate_hub_statuses(uuid)"):
            phase("hub statuses (fn_evaluate_hub_statuses)", lambda: result.figures.__setitem__(
                "hub_statuses_promoted", conn.execute("SELECT outreach.fn_evaluate_hub_statuses(NULL)").fetchone()[0]))
        else:
            result.skipped.append("hub statuses (outreach.fn_evaluate_hub_statuses is not installed)")
        check = _Background(dsn, lambda c: _check_foreign_keys(c, later)) if bulk else None
        if check:
            waits.callback(check.thread.join)
        if _has_function(conn, "outreach.fn_set_hub_status(text,text,text,text)"):
            phase("FAIL/BLOCKED hubs (fn_set_hub_status)", lambda: _fail_blocked(conn, plan, result))
        else:
            result.skipped.append("FAIL/BLOCKED hubs (outreach.fn_set_hub_status is not installed)")
        if _has_function(conn, "outreach.set_marketing_override(text,text,text,text,integer,timestamp with time zone)"):
            phase("overrides (set_marketing_override)", lambda: _overrides(conn, plan, result))
        else:
            result.skipped.append("overrides (outreach.set_marketing_override is not installed)")
        phase("campaigns", lambda: _campaigns(conn, seed, result))
        if _has_function(conn, "outreach.fn_safety_gate_check(text,text,text,text,boolean)"):
            phase("gate checks, sends, engagement", lambda: _sends(conn, plan, seed, result))
        else:
            result.skipped.append("gate checks and sends (outreach.fn_safety_gate_check is not installed)")
        if check:
            phase("foreign keys, scores and hub statuses", check.join)
        phase("analyze (final)", lambda: conn.execute(
            "ANALYZE outreach.company_hub_status, outreach.manual_overrides, outreach.override_audit_log,"
            " outreach.campaigns, outreach.sequences, outreach.send_attempt_audit, outreach.send_log,"
            " outreach.engagement_events,"
            " outreach.dol_errors, outreach.company_target_errors, people.people_errors,"
            " company.url_discovery_failures, public.shq_error_log, outreach.people, outreach.dol_filings,"
            " outreach.blog_signals"))
        cpu.add(conn)
        result.cpu_seconds = cpu.total
        conn.execute("INSERT INTO shq.audit_log (event_type, actor, details) VALUES ('SEED', %s, %s::jsonb)",
                     (SEED_ACTOR, _json({"companies": companies, "seed": seed, "first_index": first,
                                         "figures": result.figures, "skipped": result.skipped,
                                         "server_cpu_seconds": result.cpu_seconds,
                                         "seconds": round(time.perf_counter() - t_start, 2)})))
    result.seconds = time.perf_counter() - t_start
    return result


def _json(obj) -> str:
    import json

    return json.dumps(obj, default=str)


def _run_batches(dsn, plan: _Plan, batches, workers, refresh, bulk, progress, result: SeedResult,
                 cpu: _Cpu) -> None:
    lock = threading.Lock()
    queue = list(reversed(batches))
    stop = threading.Event()

    def work():
        try:
            with connect(dsn, autocommit=True, application_name="pyctl seed worker") as c:
                _session(c, bulk)
                while not stop.is_set():
                    with lock:
                        if not queue:
                            cpu.add(c)
                            return
                        lo, hi = queue.pop()
                    with c.transaction():
                        c.execute(plan.staging(lo, hi))
                        for _name, stmt in BATCH_STATEMENTS:
                            c.execute(stmt)
                        for k, table in enumerate(ERROR_TABLES):
                            c.execute(_error_sql(table, k))
                        if refresh:
                            c.execute("SELECT outreach.fn_refresh_bit_scores(array_agg(b.oid), now()) FROM seed_batch b")
                    if progress:
                        with lock:
                            progress(hi - lo + 1)
        except BaseException:
            stop.set()  # the other workers take no further batch
            raise

    _in_threads([work] * max(1, workers), "seed failed (the batches already committed stay)")


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


def _refresh_bit_scores(conn) -> None:
    """Every company's BIT score, in one full refresh (bulk mode: the signals'
    trigger did not fire during the load), and fresh statistics for the gates."""
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("SELECT outreach.fn_refresh_bit_scores()")
    conn.execute("ANALYZE outreach.bit_scores")


def _evaluate_hub_statuses(dsn, plan: _Plan, result: SeedResult, parts: int, bulk: bool) -> float | None:
    """fn_evaluate_hub_statuses for every company, split into `parts` ranges of
    company_unique_id evaluated by concurrent sessions (one core each): the
    seeded companies are cut into equal parts, and the first and last range are
    open, so companies outside this run's are evaluated too, as by
    fn_evaluate_hub_statuses(NULL). Returns the sessions' server CPU seconds."""
    cuts = [plan.prefix + str(result.first_index + k * result.companies // parts).zfill(8) for k in range(1, parts)]
    bounds = list(zip([None, *cuts], [*cuts, None]))
    promoted = [0] * len(bounds)
    cpu = _Cpu()

    def work(k: int) -> None:
        with connect(dsn, autocommit=True, application_name="pyctl seed evaluate") as c:
            _session(c, bulk)
            promoted[k] = c.execute("SELECT outreach.fn_evaluate_hub_statuses_range(%s, %s)", bounds[k]).fetchone()[0]
            cpu.add(c)

    _in_threads([lambda k=k: work(k) for k in range(len(bounds))], "seed failed evaluating hub statuses")
    result.figures["hub_statuses_promoted"] = sum(promoted)
    return cpu.total


class _Background:
    """fn(conn) on a connection of its own (bulk mode), in a thread; join()
    waits, re-raises its error and returns its server CPU seconds."""

    def __init__(self, dsn, fn: Callable[[psycopg.Connection], None]):
        self.error: BaseException | None = None
        self.cpu: float | None = None

        def run() -> None:
            try:
                with connect(dsn, autocommit=True, application_name="pyctl seed check") as c:
                    _session(c, bulk=True)
                    fn(c)
                    self.cpu = _backend_cpu(c)
            except BaseException as e:  # noqa: BLE001 - re-raised by join()
                self.error = e

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self) -> float | None:
        self.thread.join()
        if isinstance(self.error, psycopg.Error):
            raise PyctlError(f"seed failed checking foreign keys: {format_db_error(self.error)}") from None
        if self.error is not None:
            raise self.error
        return self.cpu


def _check_foreign_keys(conn, tables: list[str]) -> None:
    """Bulk mode skipped the per-row foreign-key checks of the seed's sessions:
    check every foreign key of the tables they wrote, one anti-join each (what
    ALTER TABLE .. VALIDATE CONSTRAINT runs), and fail loudly on any orphan."""
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


def _fail_blocked(conn, plan: _Plan, result: SeedResult) -> None:
    """A few companies (0.5 %, at least 1, at most 5,000) that have nothing but
    their target get a required hub FAIL or BLOCKED: tier -1."""
    h = plan.h
    cap = min(5000, max(1, result.companies // 200))
    n = conn.execute(f"""
SELECT count(outreach.fn_set_hub_status(x.cid, x.hub_id, x.status,
                                        CASE WHEN x.status = 'BLOCKED' THEN 'blocked: data provider contract pending'
                                             WHEN x.hub_id = 'dol-filings' THEN 'failed: no Form 5500 filing found for the EIN'
                                             ELSE 'failed: no decision-maker found after 3 sources' END))
  FROM (SELECT {plan.cid()} AS cid,
               CASE WHEN {h(28, 2)} = 0 THEN 'dol-filings' ELSE 'people-intelligence' END AS hub_id,
               CASE WHEN {h(28, 3)} = 0 THEN 'BLOCKED' ELSE 'FAIL' END AS status
          FROM generate_series({result.first_index}, {result.last_index}) AS g(i)
         WHERE {h(3, 100)} < 40 AND {h(4, 4)} = 0       -- plan 0, variant 0: nothing but the target
         ORDER BY {h(29, 1000000)}, g.i
         LIMIT {cap}) AS x""").fetchone()[0]
    result.figures["hubs_failed_or_blocked"] = n


OVERRIDES = [
    # (type, tier_cap, reason, expires in days or None), weights by position
    ("BLOCK_EMAIL", None, "customer asked for no email (support ticket)", None),
    ("BLOCK_OUTREACH", None, "legal hold: open dispute with the company", None),
    ("BLOCK_PHONE", None, "do-not-call registry match", None),
    ("FORCE_TIER", 1, "account owner: hold at marketing-ready until the renewal call", 30),
    ("FORCE_TIER", 0, "data quality review pending", 14),
    ("BLOCK_EMAIL", None, "domain bounced hard twice", 90),
    ("FORCE_TIER", 2, "exec sponsor wants a personal intro first", None),
    ("BLOCK_OUTREACH", None, "existing client in renewal negotiation", 60),
]


def _overrides(conn, plan: _Plan, result: SeedResult) -> None:
    """A few kill switches (0.2 %, at least 1, at most 500) through the sanctioned writer."""
    h = plan.h
    cap = min(500, max(1, result.companies // 500))
    values = ", ".join(
        f"({k}, '{t}', {c if c is not None else 'NULL'}, '{r}', {d if d is not None else 'NULL'})"
        for k, (t, c, r, d) in enumerate(OVERRIDES))
    n = conn.execute(f"""
SELECT count(outreach.set_marketing_override(x.cid, o.otype, o.reason, '{SEED_ACTOR}', o.cap,
                                             CASE WHEN o.days IS NOT NULL THEN now() + make_interval(days => o.days) END))
  FROM (SELECT {plan.cid()} AS cid, {h(30, len(OVERRIDES))} AS k
          FROM generate_series({result.first_index}, {result.last_index}) AS g(i)
         ORDER BY {h(31, 1000000)}, g.i
         LIMIT {cap}) AS x
  JOIN (VALUES {values}) AS o(k, otype, cap, reason, days) ON o.k = x.k""").fetchone()[0]
    result.figures["overrides"] = n


def _campaign_ids(seed: int) -> list[tuple]:
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


def _campaigns(conn, seed: int, result: SeedResult) -> None:
    """Four campaigns with sequences (skipped when this seed's already exist)."""
    use_fn = _has_function(conn, "outreach.fn_create_campaign(text,text,text,jsonb,integer,text)")
    made = 0
    for cid, name, channel, min_tier, status, steps in _campaign_ids(seed):
        if conn.execute("SELECT 1 FROM outreach.campaigns WHERE campaign_id = %s", (cid,)).fetchone():
            continue
        with conn.transaction():
            if use_fn:
                conn.execute("SELECT outreach.fn_create_campaign(%s, %s, %s, %s::jsonb, %s, %s)",
                             (cid, name, channel, _json(steps), min_tier, status))
            else:
                conn.execute("INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status)"
                             " VALUES (%s, %s, %s, %s, %s)", (cid, name, channel, min_tier, status))
                for n, s in enumerate(steps, 1):
                    conn.execute("INSERT INTO outreach.sequences (campaign_id, step_number, template_id, delay_days)"
                                 " VALUES (%s, %s, %s, %s)", (cid, n, s["template_id"], s["delay_days"]))
        made += 1
    result.figures["campaigns"] = made


def _sends(conn, plan: _Plan, seed: int, result: SeedResult) -> None:
    """Real gate checks for a sample of companies (at most 1,000, plus every
    company this run gave an override) against the active renewal campaign, a
    send for each cleared one (step 1), and engagement events on some sends."""
    campaign = _campaign_ids(seed)[0][0]
    sample = min(1000, result.companies)
    # a REPLY event adds a BIT signal through outreach.fn_add_bit_signal
    replies = "x.r < 4" if _has_function(
        conn, "outreach.fn_add_bit_signal(text,text,timestamp with time zone,text,numeric)") else "false"

    h = plan.h
    with conn.transaction():
        conn.execute(f"""
CREATE TEMP TABLE seed_gate ON COMMIT DROP AS
SELECT s.cid, g.audit_id, g.is_eligible, g.block_reason
  FROM ((SELECT {plan.cid()} AS cid
           FROM generate_series({result.first_index}, {result.last_index}) AS g(i)
          ORDER BY {h(32, 1000000)}, g.i
          LIMIT {sample})
        UNION  -- the companies given an override, so that their verdicts show
        SELECT m.company_unique_id FROM outreach.manual_overrides m
         WHERE m.created_by = '{SEED_ACTOR}' AND left(m.company_unique_id, {len(plan.prefix)}) = '{plan.prefix}'
           AND substr(m.company_unique_id, {len(plan.prefix) + 1})::bigint
               BETWEEN {result.first_index} AND {result.last_index}) AS s
 CROSS JOIN LATERAL outreach.fn_safety_gate_check(s.cid, '{campaign}', 'seed-{seed}-' || s.cid, 'EMAIL', false) AS g""")
        checked, cleared = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE is_eligible) FROM seed_gate").fetchone()
        sends = conn.execute(f"""
WITH ins AS (
    INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, sequence_id, channel,
                                   gate_audit_id)
    SELECT t.outreach_id, t.company_unique_id, t.target_id, '{campaign}', q.sequence_id, 'EMAIL', g.audit_id
      FROM seed_gate g
      JOIN outreach.company_target t ON t.company_unique_id = g.cid
      JOIN outreach.sequences q ON q.campaign_id = '{campaign}' AND q.step_number = 1
     WHERE g.is_eligible
    RETURNING send_id, outreach_id, company_unique_id, target_id)
SELECT count(*) FROM ins""").fetchone()[0]
        # engagement on this run's sends: opens, clicks, a few replies, bounces and unsubscribes
        events = conn.execute(f"""
WITH ins AS (
    INSERT INTO outreach.engagement_events (send_id, outreach_id, company_unique_id, target_id, event_type, occurred_at)
    SELECT s.send_id, s.outreach_id, s.company_unique_id, s.target_id, e.event_type, now()
      FROM seed_gate g
      JOIN outreach.send_log s ON s.gate_audit_id = g.audit_id
     CROSS JOIN LATERAL (SELECT (hashint8extended(s.send_id, {seed}) & 1073741823) % 100 AS r) AS x
     CROSS JOIN LATERAL (VALUES (1, 'OPEN', x.r < 45), (2, 'CLICK', x.r < 12), (3, 'REPLY', {replies}),
                                (4, 'BOUNCE', x.r >= 97), (5, 'UNSUBSCRIBE', x.r = 96)) AS e(n, event_type, wanted)
     WHERE e.wanted
     ORDER BY s.send_id, e.n
    RETURNING 1)
SELECT count(*) FROM ins""").fetchone()[0]
    result.figures.update(gate_checks=checked, gate_cleared=cleared, sends=sends, engagement_events=events)
