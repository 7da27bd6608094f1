"""Helpers shared by the project's tests (plain functions, no fixtures)."""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import psycopg.sql

from pyctl.policy import PROJECT_SCHEMAS
from pyctl.resources import SQL_DIRS, SQL_ROOT

#: the checkout these tests belong to (the CLI runs from here)
REPO_ROOT = Path(__file__).resolve().parent.parent

#: append-only log tables: rows may legitimately be added by a migrate run
LOG_TABLES = ("shq.audit_log", "shq.tool_violations", "outreach.send_attempt_audit",
              "outreach.override_audit_log", "outreach.bit_signals", "outreach.engagement_events")
COUNTED_SCHEMAS = ("cl", "outreach", "people", "company", "shq")

# The catalog fingerprint: relations with ACL and owner, columns, constraints,
# indexes, triggers, views, functions (source md5, definer-ness, config, ACL,
# owner), types, roles.
FINGERPRINT = """
WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY(%(s)s)),
rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
  UNION ALL
  SELECT c.oid, 'public', c.relname, c.relkind FROM pg_class c
   WHERE c.relnamespace = 'public'::regnamespace AND c.relname LIKE 'shq\\_error\\_log%%'
)
SELECT 'rel', r.nspname || '.' || r.relname || ':' || r.relkind::text || ':' || coalesce(c.relacl::text, '')
       || ':' || pg_get_userbyid(c.relowner)
  FROM rels r JOIN pg_class c ON c.oid = r.oid WHERE r.relkind <> 'i'
UNION ALL
SELECT 'col', r.nspname || '.' || r.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
       || ':' || a.attnotnull::text || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
  FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
UNION ALL
SELECT 'con', r.nspname || '.' || r.relname || ':' || co.conname || ':' || pg_get_constraintdef(co.oid)
  FROM rels r JOIN pg_constraint co ON co.conrelid = r.oid
UNION ALL
SELECT 'idx', pg_get_indexdef(i.indexrelid) FROM rels r JOIN pg_index i ON i.indrelid = r.oid
UNION ALL
SELECT 'trg', pg_get_triggerdef(t.oid) || ':' || t.tgenabled::text
  FROM rels r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
UNION ALL
SELECT 'view', r.nspname || '.' || r.relname || ':' || pg_get_viewdef(r.oid)
  FROM rels r WHERE r.relkind IN ('v', 'm')
UNION ALL
SELECT 'fn', n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || '):'
       || md5(p.prosrc) || ':' || p.prosecdef::text || ':' || p.provolatile::text || ':' || coalesce(p.proconfig::text, '')
       || ':' || coalesce(p.proacl::text, '') || ':' || pg_get_userbyid(p.proowner)
  FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
UNION ALL
SELECT 'type', n.nspname || '.' || t.typname || ':' || coalesce((SELECT string_agg(e.enumlabel, ',' ORDER BY
       e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '')
  FROM pg_type t JOIN ns n ON n.oid = t.typnamespace WHERE t.typtype IN ('e', 'd', 'c') AND t.typrelid = 0
UNION ALL
SELECT 'role', rolname || ':' || rolcanlogin::text FROM pg_roles WHERE rolname LIKE 'outreach\\_%%'
ORDER BY 1, 2
"""


def fingerprint(dsn: str) -> tuple[set[tuple], dict[str, int]]:
    """(catalog rows, row count per project table) of the database at `dsn`."""
    with psycopg.connect(dsn, autocommit=True) as c:
        rows = set(c.execute(FINGERPRINT, {"s": list(PROJECT_SCHEMAS)}).fetchall())
        counts = {}
        for schema, name in c.execute(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.relkind IN ('r', 'p') AND (n.nspname = ANY(%s)"
                " OR (n.nspname = 'public' AND c.relname LIKE 'shq\\_error\\_log%%'))",
                (list(COUNTED_SCHEMAS),)).fetchall():
            if f"{schema}.{name}" in LOG_TABLES:
                continue
            counts[f"{schema}.{name}"] = c.execute(f'SELECT count(*) FROM "{schema}"."{name}"').fetchone()[0]
    return rows, counts


def fingerprint_diff(a, b) -> list:
    """The catalog rows in one fingerprint but not the other (first 20)."""
    return sorted(a[0] ^ b[0])[:20]


def output(p: subprocess.CompletedProcess) -> str:
    """stdout + stderr of a finished process, for assertion messages."""
    return (p.stdout or "") + (p.stderr or "")


def error_lines(p: subprocess.CompletedProcess) -> list[str]:
    """The non-blank lines pyctl printed on stderr."""
    return [ln for ln in (p.stderr or "").splitlines() if ln.strip()]


def closed_port() -> int:
    """A 127.0.0.1 port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_project(dst: Path) -> Path:
    """A copy of the project's SQL sources (db/, functions/, triggers/, views/,
    pgtap_tests/) under `dst`, for tests that break a file."""
    dst = Path(dst)
    for d in SQL_DIRS:
        src = SQL_ROOT / d
        if src.exists():
            shutil.copytree(src, dst / d)
        else:
            (dst / d).mkdir(parents=True)
    return dst


@contextlib.contextmanager
def seeded_database(admin: psycopg.Connection, template: str, run_pyctl, server_dsn, companies: int,
                    prefix: str = "seeded"):
    """A clone of the migrated `template`, seeded with `pyctl seed
    --companies N` (the demo's seed, so the ids are the demo's), dropped
    afterwards; yields its name. A failed seed fails the test."""
    import pytest

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin.execute(psycopg.sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(psycopg.sql.Identifier(name),
                                                                         psycopg.sql.Identifier(template)))
    try:
        p = run_pyctl(["seed", "--companies", str(companies), "--dsn", server_dsn(name)])
        if p.returncode != 0:
            pytest.fail(f"pyctl seed failed:\n{output(p)[-3000:]}", pytrace=False)
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        yield name
    finally:
        admin.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name)))


def pyctl_executable() -> str:
    """The installed `pyctl` console script next to this interpreter (else on PATH)."""
    exe = Path(sys.executable).parent / "pyctl"
    if exe.exists():
        return str(exe)
    found = shutil.which("pyctl")
    if not found:
        raise RuntimeError("the pyctl console script is not installed (pip install -e '.[test]')")
    return found


def race(new_conn, n: int, fn, **conn_args):
    """Run fn(conn) on n fresh connections (new_conn(**conn_args)) in n
    threads released together; return (results by thread, the exceptions raised)."""
    conns = [new_conn(**conn_args) for _ in range(n)]
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def work(i):
        barrier.wait()
        try:
            results[i] = fn(conns[i])
        except Exception as e:  # noqa: BLE001 - returned for the caller to assert
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def in_thread(fn) -> tuple[threading.Thread, dict]:
    """Start fn() in a thread; returns (the thread, {"result": ...} or
    {"error": the exception} once it is done)."""
    out: dict = {}

    def run():
        try:
            out["result"] = fn()
        except Exception as e:  # noqa: BLE001 - returned for the caller to assert
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, out


def waits_on_lock(conn: psycopg.Connection, pid: int, seconds: float = 20.0) -> bool:
    """Whether backend `pid` comes to wait for a heavyweight lock within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if conn.execute("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0]:
            return True
        time.sleep(0.02)
    return False


# ------------------------------------------------------------------ companies
def new_id(prefix: str = "CO") -> str:
    """An id (of a company, a campaign, ...) no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def register_company(conn: psycopg.Connection, cid: str | None = None, *, prefix: str = "CO",
                     eligibility: str = "ELIGIBLE") -> str:
    """A company registered with CL (no outreach_id yet); returns its id."""
    cid = cid or new_id(prefix)
    conn.execute("SELECT cl.fn_register_company(%s, %s, %s, %s)",
                 (cid, f"Company {cid}", f"{cid.lower()}.example.com", eligibility))
    return cid


def target_of(conn: psycopg.Connection, cid: str) -> tuple[str, object]:
    """(target_id, outreach_id) of a company's Company Target."""
    return conn.execute("SELECT target_id, outreach_id FROM outreach.company_target WHERE company_unique_id = %s",
                        (cid,)).fetchone()


def _hubs(conn: psycopg.Connection, required: bool) -> list[str]:
    return [r[0] for r in conn.execute("SELECT hub_id FROM outreach.hub_registry WHERE is_required = %s"
                                       " ORDER BY display_order", (required,))]


def make_company(conn: psycopg.Connection, tier: int = 1, *, cid: str | None = None, prefix: str = "CO",
                 eligibility: str = "ELIGIBLE", set_statuses: bool = True) -> str:
    """A company at computed tier `tier` (-1..3), built as production builds
    it: registered with CL, its Company Target created, the sub-hub rows a
    tier needs written (as the hubs write them), and its hub statuses set by
    the sanctioned writer (not with `set_statuses=False`: the data of the
    tier is there, its promotion is left to the caller). Tier -1 is a FAIL
    required hub (an INELIGIBLE company is tier -1 at any `tier`). `conn`
    connects as a superuser, which stands in for CL and the hubs. Returns
    the company's id."""
    if tier not in (-1, 0, 1, 2, 3):
        raise ValueError(f"tier must be -1..3, not {tier!r}")
    with conn.transaction():
        cid = register_company(conn, cid, prefix=prefix, eligibility=eligibility)
        conn.execute("SELECT outreach.fn_create_company_target(%s)", (cid,))
        tid, oid = target_of(conn, cid)
        ids = (tid, oid, cid)
        if tier == -1:
            conn.execute("SELECT outreach.fn_set_hub_status(%s, 'dol-filings', 'FAIL', 'test')", (cid,))
        if tier >= 1:  # every required hub done
            conn.execute("SELECT outreach.fn_update_company_target(%s, 'ready', 'pattern', '{first}.{last}', 0.95,"
                         " true)", (tid,))
            conn.execute("INSERT INTO outreach.dol (target_id, outreach_id, company_unique_id, ein, filing_present,"
                         " renewal_date) VALUES (%s, %s, %s, '12-3456789', true, '2026-06-30')", ids)
            conn.execute("INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type,"
                         " is_filled, filled_at) VALUES (%s, %s, %s, 'CEO', true, now())", ids)
            conn.execute("INSERT INTO outreach.talent_flow (target_id, outreach_id, company_unique_id, last_scan_at,"
                         " movements_detected) VALUES (%s, %s, %s, now(), 0)", ids)
        if tier >= 2:  # and every optional one
            conn.execute("INSERT INTO outreach.blog (target_id, outreach_id, company_unique_id, last_checked_at)"
                         " VALUES (%s, %s, %s, now())", ids)
            conn.execute("SELECT outreach.fn_add_bit_signal(%s, 'DOMAIN_VERIFIED', now(), 'test')", (cid,))
            conn.execute("SELECT outreach.fn_refresh_bit_scores(ARRAY[%s]::uuid[], now())", (oid,))
        if tier >= 3:  # with a verified person in a filled slot
            conn.execute("INSERT INTO people.people_master (slot_id, target_id, outreach_id, company_unique_id,"
                         " full_name, email, email_verified)"
                         " SELECT s.slot_id, s.target_id, s.outreach_id, s.company_unique_id, 'Pat Test',"
                         " 'pat@' || lower(s.company_unique_id) || '.example.com', true"
                         "   FROM people.company_slot s WHERE s.target_id = %s", (tid,))
        hubs = _hubs(conn, True) if tier >= 1 and set_statuses else []
        hubs += _hubs(conn, False) if tier >= 2 and set_statuses else []
        for hub in hubs:
            conn.execute("SELECT outreach.fn_set_hub_status(%s, %s, 'PASS', 'test')", (cid, hub))
    return cid
