"""`pyctl verify`: the checks a migrated database must pass.

  pgtap           every pgtap_tests/*.sql through pg_prove (each file rolls
                  itself back, so nothing persists)
  plpgsql_check   every PL/pgSQL function of the project schemas; trigger
                  functions with each table they are attached to; inside a
                  transaction that is rolled back (the extension included)
  security        SECURITY DEFINER functions pin search_path; PUBLIC holds no
                  privilege on a project function, table or view
  mutation_guard  every role holding INSERT/UPDATE/DELETE/TRUNCATE on a
                  sovereign or append-only table, or EXECUTE on a sanctioned
                  writer, checked against pyctl.policy
  audit_seals     (--audit) shq.fn_verify_audit_seals() reports only 'OK'

`verify(dsn)` returns the report (a dict, also written as JSON); its "ok"
is false when any check failed, and every offending role or function is
named in it and in `summary_lines(report)`.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import psycopg
from psycopg.rows import dict_row

from pyctl import PROJECT_ROOT, policy
from pyctl.dsn import connect, redact
from pyctl.errors import PyctlError, format_db_error

PROJECT_SCHEMAS = list(policy.PROJECT_SCHEMAS)
PUBLIC_TABLES = ["shq_error_log", "shq_error_log_archive"]
WRITE_PRIVILEGES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
NOT_EXTENSION_MEMBER = ("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{cat}'::regclass"
                        " AND d.objid = {oid} AND d.deptype = 'e')")


def _check(name: str) -> dict:
    return {"name": name, "ok": True, "failures": [], "warnings": [], "info": {}}


def _fail(check: dict, subject: str, problem: str, **extra) -> None:
    check["ok"] = False
    check["failures"].append({"subject": subject, "problem": problem, **extra})


# ------------------------------------------------------------------ pgTAP
def pgtap_files(root: Path = PROJECT_ROOT) -> list[Path]:
    """The pgTAP suite: pgtap_tests/*.sql, sorted."""
    return sorted((Path(root) / "pgtap_tests").glob("*.sql"))


def run_pg_prove(dsn: str, path: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """pg_prove one file against `dsn` (psql reads the URL as its dbname)."""
    pg_prove = shutil.which("pg_prove")
    if pg_prove is None:
        raise PyctlError("pg_prove not found (apt-get install pgtap)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return subprocess.run([pg_prove, "--verbose", "--dbname", dsn, str(path)], capture_output=True,
                          text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL)


def check_pgtap(dsn: str, root: Path, echo: Callable[[str], None]) -> dict:
    check = _check("pgtap")
    files = pgtap_files(root)
    check["info"]["files"] = []
    for path in files:
        t0 = time.perf_counter()
        name = str(path.relative_to(root))
        try:
            p = run_pg_prove(dsn, path)
            ok = p.returncode == 0
            output = (p.stdout + p.stderr).strip()
        except subprocess.TimeoutExpired:
            ok, output = False, "pg_prove timed out"
        check["info"]["files"].append({"file": name, "ok": ok, "seconds": round(time.perf_counter() - t0, 2),
                                       **({} if ok else {"output": output[-8000:]})})
        if not ok:
            failed = [ln.strip() for ln in output.splitlines() if ln.lstrip().startswith("not ok")]
            _fail(check, name, "; ".join(failed[:5]) or output.splitlines()[-1] if output else "failed")
    check["info"]["count"] = len(files)
    return check


# ------------------------------------------------------------------ plpgsql_check
FUNCTIONS_TO_CHECK = """
SELECT p.oid, p.oid::regprocedure::text AS fn, t.tgrelid, t.tgrelid::regclass::text AS rel,
       p.prorettype = 'trigger'::regtype AS is_trigger, t.tgoldtable, t.tgnewtable
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
  -- a trigger function is checked once per table and transition-table naming it is used with
  LEFT JOIN LATERAL (SELECT DISTINCT tg.tgrelid, tg.tgoldtable, tg.tgnewtable
                       FROM pg_trigger tg WHERE tg.tgfoid = p.oid) t
         ON p.prorettype = 'trigger'::regtype
 WHERE n.nspname = ANY(%(s)s)
   AND p.prorettype <> 'event_trigger'::regtype
 ORDER BY 2, 4
"""


def check_plpgsql(conn: psycopg.Connection) -> dict:
    """plpgsql_check over every PL/pgSQL function of the project schemas, in a
    transaction rolled back at the end; `error` rows fail, the rest are warnings."""
    check = _check("plpgsql_check")
    checked = skipped = 0
    try:
        conn.execute("BEGIN")
        conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
        schema = conn.execute("SELECT extnamespace::regnamespace::text FROM pg_extension"
                              " WHERE extname = 'plpgsql_check'").fetchone()[0]
        targets = conn.execute(FUNCTIONS_TO_CHECK, {"s": PROJECT_SCHEMAS}).fetchall()
        for oid, fn, relid, rel, is_trigger, oldtable, newtable in targets:
            if is_trigger and relid is None:
                skipped += 1  # a trigger function attached to no table cannot be checked
                continue
            subject = f"{fn} on {rel}" if rel else fn
            conn.execute("SAVEPOINT pc")
            try:
                rows = conn.execute(
                    f"SELECT * FROM {schema}.plpgsql_check_function_tb(%s::oid::regprocedure, %s::oid::regclass,"
                    " fatal_errors => false, security_warnings => true, oldtable => %s, newtable => %s)",
                    (oid, relid or 0, oldtable, newtable)).fetchall()
            except psycopg.Error as e:
                conn.execute("ROLLBACK TO SAVEPOINT pc")
                _fail(check, subject, f"plpgsql_check could not check it: {format_db_error(e)}")
                continue
            conn.execute("RELEASE SAVEPOINT pc")
            checked += 1
            for r in rows:
                # functionid, lineno, statement, sqlstate, message, detail, hint, level, position, query, context
                entry = {"function": subject, "line": r[1], "statement": r[2], "sqlstate": r[3],
                         "message": r[4], "detail": r[5], "hint": r[6], "level": r[7], "query": r[9]}
                if r[7] == "error":
                    _fail(check, subject, f"line {r[1]}: {r[3]} {r[4]}", **{k: entry[k] for k in (
                        "line", "statement", "sqlstate", "detail", "hint", "query")})
                else:
                    check["warnings"].append(entry)
    finally:
        conn.execute("ROLLBACK")
    check["info"].update(checked=checked, skipped_unattached_triggers=skipped)
    return check


# ------------------------------------------------------------------ security definer / PUBLIC
def check_security(conn: psycopg.Connection) -> dict:
    check = _check("security")
    params = {"s": PROJECT_SCHEMAS, "pub": PUBLIC_TABLES}
    definers = conn.execute(
        "SELECT p.oid::regprocedure::text, coalesce(p.proconfig, '{}') FROM pg_proc p"
        " JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ANY(%(s)s) AND p.prosecdef"
        " ORDER BY 1", params).fetchall()
    for fn, config in definers:
        if not any(c.startswith("search_path=") for c in config):
            _fail(check, fn, "SECURITY DEFINER without a pinned search_path (SET search_path = ...)")
    public_fns = conn.execute(
        "SELECT DISTINCT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace,"
        " LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a"
        " WHERE n.nspname = ANY(%(s)s) AND a.grantee = 0 AND "
        + NOT_EXTENSION_MEMBER.format(cat="pg_proc", oid="p.oid") + " ORDER BY 1", params).fetchall()
    for (fn,) in public_fns:
        _fail(check, fn, "EXECUTE granted to PUBLIC")
    public_rels = conn.execute(
        "SELECT n.nspname || '.' || c.relname, string_agg(DISTINCT a.privilege_type, ',')"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,"
        " LATERAL aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a"
        " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND a.grantee = 0"
        " AND (n.nspname = ANY(%(s)s) OR (n.nspname = 'public' AND c.relname = ANY(%(pub)s)))"
        " AND " + NOT_EXTENSION_MEMBER.format(cat="pg_class", oid="c.oid") + " GROUP BY 1 ORDER BY 1",
        params).fetchall()
    for rel, privs in public_rels:
        _fail(check, rel, f"{privs} granted to PUBLIC")
    # only the owner may create in a project schema (what lets a repeatable
    # CREATE OR REPLACE trust that nobody planted the object it replaces)
    creators = conn.execute(
        "SELECT n.nspname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END"
        " FROM pg_namespace n, LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a"
        " WHERE n.nspname = ANY(%(s)s) AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner"
        " AND NOT coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.oid = a.grantee), false)"
        " ORDER BY 1, 2", params).fetchall()
    for schema, role in creators:
        _fail(check, role, f"holds CREATE on project schema {schema}")
    check["info"]["security_definer_functions"] = len(definers)
    return check


# ------------------------------------------------------------------ mutation guard
GUARDED_TABLE_GRANTS = """
SELECT c.oid::regclass::text AS tbl, r.rolname, a.privilege_type
  FROM pg_class c,
       LATERAL aclexplode(c.relacl) a
  JOIN pg_roles r ON r.oid = a.grantee
 WHERE c.oid = to_regclass(%(t)s)
   AND a.privilege_type = ANY(%(privs)s)
   AND NOT r.rolsuper AND r.rolname <> 'outreach_owner'
 ORDER BY 2, 3
"""

DEFINER_EXECUTE_GRANTS = """
SELECT n.nspname || '.' || p.proname AS fn, p.oid::regprocedure::text AS signature, r.rolname
  FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace,
       LATERAL aclexplode(p.proacl) a
  JOIN pg_roles r ON r.oid = a.grantee
 WHERE n.nspname = ANY(%(s)s) AND p.prosecdef AND a.privilege_type = 'EXECUTE'
   AND NOT r.rolsuper AND r.rolname <> 'outreach_owner'
 ORDER BY 3, 2
"""


def check_mutation_guard(conn: psycopg.Connection) -> dict:
    """SPEC §13: list every holder of a write on a guarded table or EXECUTE on
    a sanctioned writer; fail for each grant pyctl.policy does not allow."""
    check = _check("mutation_guard")
    grants = []
    missing = []
    for table in policy.guarded_tables(conn, "sovereign", "append_only"):
        if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None:
            missing.append(table)
            continue
        for _tbl, role, priv in conn.execute(GUARDED_TABLE_GRANTS, {"t": table, "privs": list(WRITE_PRIVILEGES)}):
            allowed = policy.table_write_allowed(role, table, priv)
            grants.append({"role": role, "object": table, "privilege": priv, "allowed": allowed})
            if not allowed:
                _fail(check, role, f"holds {priv} on {table}", role=role, object=table, privilege=priv)
    for fn, signature, role in conn.execute(DEFINER_EXECUTE_GRANTS, {"s": PROJECT_SCHEMAS}):
        allowed = policy.execute_allowed(role, fn)
        grants.append({"role": role, "object": signature, "privilege": "EXECUTE", "allowed": allowed})
        if not allowed:
            _fail(check, role, f"holds EXECUTE on sanctioned writer {signature}", role=role, object=signature,
                  privilege="EXECUTE")
    check["info"].update(grants=grants, tables_not_present=missing)
    return check


# ------------------------------------------------------------------ audit seals
def check_audit_seals(conn: psycopg.Connection) -> dict:
    """shq.fn_verify_audit_seals() (when it exists): every row's status is 'OK'."""
    check = _check("audit_seals")
    if conn.execute("SELECT to_regproc('shq.fn_verify_audit_seals') IS NULL").fetchone()[0]:
        check["info"]["skipped"] = "shq.fn_verify_audit_seals() does not exist"
        return check
    try:
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute("SELECT * FROM shq.fn_verify_audit_seals()").fetchall()
    except psycopg.Error as e:
        _fail(check, "shq.fn_verify_audit_seals()", format_db_error(e))
        return check
    rows = [{k: (v if isinstance(v, (int, float, bool, str, type(None))) else str(v)) for k, v in r.items()}
            for r in rows]
    for r in rows:
        if r.get("status") != "OK":
            subject = ", ".join(f"{k}={v}" for k, v in r.items() if k != "status")
            _fail(check, subject or "seal", f"status {r.get('status')}", row=r)
    check["info"]["rows"] = len(rows)
    return check


# ------------------------------------------------------------------ the run
#: the checks, in the order they run (audit_seals only with audit=True)
CHECKS = ("pgtap", "plpgsql_check", "security", "mutation_guard", "audit_seals")


def verify(dsn: str, root: Path | str = PROJECT_ROOT, audit: bool = False,
           echo: Callable[[str], None] | None = None, skip: tuple[str, ...] = ()) -> dict:
    """Run every check (but those in `skip`); return the report (see the
    module docstring)."""
    echo = echo or (lambda _msg: None)
    root = Path(root)
    t0 = time.perf_counter()
    report = {"ok": True, "dsn": redact(dsn), "started_at": datetime.now(timezone.utc).isoformat(),
              "checks": {}}
    with connect(dsn, application_name="pyctl verify") as conn:
        conn.autocommit = True
        steps = [
            ("pgtap", lambda: check_pgtap(dsn, root, echo)),
            ("plpgsql_check", lambda: check_plpgsql(conn)),
            ("security", lambda: check_security(conn)),
            ("mutation_guard", lambda: check_mutation_guard(conn)),
        ]
        if audit:
            steps.append(("audit_seals", lambda: check_audit_seals(conn)))
        report["skipped"] = [name for name, _fn in steps if name in skip]
        for name, fn in steps:
            if name in skip:
                continue
            echo(f"verify: {name} ...")
            t1 = time.perf_counter()
            try:
                check = fn()
            except psycopg.Error as e:
                check = _check(name)
                _fail(check, name, f"the check itself failed: {format_db_error(e)}")
            check["seconds"] = round(time.perf_counter() - t1, 2)
            report["checks"][name] = check
            report["ok"] = report["ok"] and check["ok"]
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return report


def write_report(report: dict, path: str | os.PathLike) -> None:
    Path(path).write_text(json.dumps(report, indent=2, default=str) + "\n")


def summary_lines(report: dict) -> list[str]:
    """The readable summary: one line per check, one per offender."""
    lines = []
    for name, check in report["checks"].items():
        info = check.get("info", {})
        if name == "pgtap":
            what = f"{info.get('count', 0)} files"
        elif name == "plpgsql_check":
            what = (f"{info.get('checked', 0)} functions, {len(check['failures'])} errors, "
                    f"{len(check['warnings'])} warnings")
            if info.get("skipped_unattached_triggers"):
                what += f", {info['skipped_unattached_triggers']} unattached trigger functions skipped"
        elif name == "security":
            what = f"{info.get('security_definer_functions', 0)} SECURITY DEFINER functions"
        elif name == "mutation_guard":
            what = f"{len(info.get('grants', []))} guarded grants"
            if info.get("tables_not_present"):
                what += f", {len(info['tables_not_present'])} guarded tables not present"
        elif name == "audit_seals":
            what = info.get("skipped") or f"{info.get('rows', 0)} seals"
        else:
            what = ""
        lines.append(f"{name:15} {'ok  ' if check['ok'] else 'FAIL'}  {what}  ({check.get('seconds', 0)}s)")
        for f in check["failures"]:
            lines.append(f"    - {f['subject']}: {f['problem']}")
    if report.get("skipped"):
        lines.append(f"skipped: {', '.join(report['skipped'])}")
    lines.append(f"verify: {'ok' if report['ok'] else 'FAILED'} in {report.get('seconds', 0)}s")
    return lines
