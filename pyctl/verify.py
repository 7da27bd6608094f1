"""`pyctl verify`: is this database what the sources say, and do the sources
behave? Safe on a live, populated database: it changes nothing there, and
nothing it does there grows with the data.

What it does (every check is listed in the report, `--report FILE`):

  (refusal)       a connection that goes through a pooler (pgbouncer ...) is
                  refused at once, in one line: verify needs a direct one
  reference       a scratch database on the same server, created from
                  template0 (needs CREATEDB), migrated from the sources
                  with pyctl.migrate, and dropped at the end
  drift           the live database's project objects (pyctl.drift: schemas,
                  tables, columns, constraints, indexes, triggers and their
                  ENABLE ALWAYS state, views, routines with their settings
                  and definer-ness, types, owners, grants, applied
                  migrations) compared with the reference database's
  security        live: SECURITY DEFINER functions pin search_path; PUBLIC
                  holds no privilege on a project function, table or view;
                  only a schema's owner may create in it
  mutation_guard  live: every role holding INSERT/UPDATE/DELETE/TRUNCATE on a
                  sovereign or append-only table, or EXECUTE on a sanctioned
                  writer, checked against pyctl.policy
  grants          live: the grants audit (pyctl.grants_audit), a missing DDL
                  guard being a warning
  pgtap           every pgtap_tests/*.sql through pg_prove, in the reference
                  database (a superuser only: the suite creates pgtap, SET
                  ROLEs to every group role and uses session_replication_role)
  plpgsql_check   every PL/pgSQL function, trigger functions with each table:
                  in the live database when the extension is installed
                  there (read only), else in the reference database (a
                  superuser only); always on a connection of its own that is
                  closed right after (plpgsql_check 2.3 can leave the PL/pgSQL
                  function cache of its session broken: XX000)
  eligibility     (--audit) outreach.fn_company_eligibility_drift() returns no row:
                  every company's maintained eligibility row equals the
                  from-scratch one (each one that differs is named; `pyctl
                  migrate` rebuilds them); this one reads every company
  audit_seals     (--audit) shq.fn_verify_audit_seals() reports only 'OK';
                  this one reads every sealed row, so it grows with the data

Every live check runs in its own READ ONLY transaction with a lock_timeout:
catalog reads only (the AccessShareLocks that pg_get_viewdef and friends take
on the objects they describe), no row read from a project table (but yoyo's
migration list, the static registry of guarded tables and, with --audit, the
sealed tables and the maintained eligibility rows and their inputs). A login that is neither a superuser nor a member of
outreach_owner (the managed deployer) reads that registry as the owner: the
transaction grants it the membership, sets the role, turns read only, and is
rolled back, as plpgsql_check's is.

`verify(dsn)` returns the report (a dict, also written as JSON); its "ok"
is false when any check failed, and every offending role, function or
trigger is named in it and in `summary_lines(report)`. A check that could not
run for lack of a superuser says so, with the statement a DBA runs, as a
warning (status "not run"), and does not fail verify.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from pyctl import drift, grants_audit, policy
from pyctl.dsn import connect, parse, redact, with_dbname
from pyctl.errors import PyctlError, format_db_error
from pyctl.resources import SQL_ROOT

PROJECT_SCHEMAS = list(policy.PROJECT_SCHEMAS)
PUBLIC_TABLES = ["shq_error_log", "shq_error_log_archive"]
WRITE_PRIVILEGES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
NOT_EXTENSION_MEMBER = ("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = '{cat}'::regclass"
                        " AND d.objid = {oid} AND d.deptype = 'e')")
#: every live check waits at most this long for a lock (then fails, changing nothing)
LIVE_LOCK_TIMEOUT = "10s"
#: the scratch databases verify creates (and drops)
SCRATCH_PREFIX = "pyctl_verify_"
#: pgTAP files run at once (each in its own transaction, in the scratch database)
PGTAP_JOBS = 2
#: the extension each of these checks needs on the server, and its Debian package
EXTENSIONS = {"pgtap": "pgtap", "plpgsql_check": "plpgsql_check"}
EXTENSION_PACKAGES = {"pgtap": "postgresql-15-pgtap", "plpgsql_check": "postgresql-15-plpgsql-check"}

#: the checks, in the order they run (audit_seals only with audit=True), and what each is
CHECKS = ("drift", "security", "mutation_guard", "grants", "eligibility", "pgtap", "plpgsql_check", "audit_seals")
#: the checks that read every row of some project tables, so their time grows
#: with the data: only with audit=True (`--audit`)
READS_EVERY_ROW = ("eligibility", "audit_seals")
CHECK_DESCRIPTIONS = {
    "drift": "live project objects (tables, columns, constraints, indexes, triggers and their enabled state, "
             "views, routines, types, owners, grants, applied migrations) equal those of a scratch database "
             "migrated from the sources",
    "security": "SECURITY DEFINER functions pin search_path; nothing granted to PUBLIC; only a schema's owner "
                "creates in it",
    "mutation_guard": "who may write the sovereign and append-only tables or run a sanctioned writer, against "
                      "pyctl.policy",
    "grants": "the grants audit (pyctl.grants_audit): owner members, pg_write_all_data, "
              "session_replication_role, schema CREATE, rules and guard triggers on protected tables, the DDL "
              "guard (warning), CREATEROLE logins (info)",
    "eligibility": "every company's maintained eligibility row (outreach.company_eligibility) equals its "
                   "from-scratch computation (outreach.fn_company_eligibility_drift(); reads every company)",
    "pgtap": "the behavioural pgTAP suite (pgtap_tests/*.sql) in the scratch database",
    "plpgsql_check": "plpgsql_check over every PL/pgSQL function",
    "audit_seals": "shq.fn_verify_audit_seals(): every seal recomputed (reads every sealed row)",
}


class VerifyRefused(PyctlError):
    """verify cannot run on this connection (a pooler, no CREATEDB): one line."""


def _check(name: str) -> dict:
    return {"name": name, "ok": True, "status": "ok", "description": CHECK_DESCRIPTIONS.get(name, ""),
            "failures": [], "warnings": [], "info": {}}


def _fail(check: dict, subject: str, problem: str, **extra) -> None:
    check["ok"] = False
    check["status"] = "failed"
    check["failures"].append({"subject": subject, "problem": problem, **extra})


def _not_run(check: dict, why: str, statement: str | None = None) -> dict:
    """A check that could not run here (no superuser): a warning, not a failure."""
    check["status"] = "not run"
    check["warnings"].append({"subject": check["name"], "problem": why,
                              **({"dba_statement": statement} if statement else {})})
    return check


def _unavailable(name: str) -> dict:
    """A check whose extension this server does not have: a failure, one line."""
    check = _check(name)
    _fail(check, EXTENSIONS[name], f"58P01: the {EXTENSIONS[name]} extension is not available on this server:"
                                   f" install it (Debian: apt-get install {EXTENSION_PACKAGES[name]})")
    return check


# ------------------------------------------------------------------ pooler
def behind_pooler(conn: psycopg.Connection) -> bool:
    """Does `conn` reach the server through a connection pooler? A pooler
    (pgbouncer, pgcat, odyssey ...) answers the startup itself, with a cancel
    key of its own: the backend pid it announced is not the server's."""
    return conn.info.backend_pid != conn.execute("SELECT pg_catalog.pg_backend_pid()", prepare=False).fetchone()[0]


# ------------------------------------------------------------------ pgTAP
def pgtap_files(root: Path = SQL_ROOT) -> list[Path]:
    """The pgTAP suite: pgtap_tests/*.sql, sorted (a name starting with `_`
    is a shared setup file that test files include, not a test)."""
    return sorted(p for p in (Path(root) / "pgtap_tests").glob("*.sql") if not p.name.startswith("_"))


#: libpq's environment variable for each connection parameter pg_prove's psql may need
LIBPQ_ENV = {"host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "dbname": "PGDATABASE",
             "user": "PGUSER", "password": "PGPASSWORD", "passfile": "PGPASSFILE", "options": "PGOPTIONS",
             "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
             "connect_timeout": "PGCONNECT_TIMEOUT", "application_name": "PGAPPNAME",
             "target_session_attrs": "PGTARGETSESSIONATTRS"}


def run_pg_prove(dsn: str, path: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """pg_prove one file (by path, so that its `\\ir` includes resolve)
    against `dsn`, handed to psql as libpq environment variables (pg_prove
    mangles a URL with a query string)."""
    pg_prove = shutil.which("pg_prove")
    if pg_prove is None:
        raise PyctlError("pg_prove not found (apt-get install pgtap)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for key, value in parse(dsn).items():
        if key in LIBPQ_ENV:
            env[LIBPQ_ENV[key]] = value
    return subprocess.run([pg_prove, "--verbose", str(path)], capture_output=True,
                          text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL)


def check_pgtap(dsn: str, root: Path, echo: Callable[[str], None]) -> dict:
    """Every pgTAP file against `dsn` (verify gives it the scratch database)."""
    check = _check("pgtap")
    files = pgtap_files(root)

    def one(path: Path) -> tuple[bool, str, float]:
        t0 = time.perf_counter()
        try:
            p = run_pg_prove(dsn, path)
            return p.returncode == 0, (p.stdout + p.stderr).strip(), time.perf_counter() - t0
        except subprocess.TimeoutExpired:
            return False, "pg_prove timed out", time.perf_counter() - t0

    # two files at a time: each runs in its own transaction, rolled back
    with ThreadPoolExecutor(max_workers=PGTAP_JOBS) as pool:
        outcomes = list(pool.map(one, files))
    check["info"]["files"] = []
    for path, (ok, output, seconds) in zip(files, outcomes):
        name = str(path.relative_to(root))
        check["info"]["files"].append({"file": name, "ok": ok, "seconds": round(seconds, 2),
                                       **({} if ok else {"output": output[-8000:]})})
        if not ok:
            failed = [ln.strip() for ln in output.splitlines() if ln.lstrip().startswith("not ok")]
            _fail(check, name, "; ".join(failed[:5]) or (output.splitlines()[-1] if output else "failed"))
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


def check_plpgsql(conn: psycopg.Connection, create_extension: bool = True, as_owner: bool = False) -> dict:
    """plpgsql_check over every PL/pgSQL function of the project schemas, in a
    transaction rolled back at the end (the extension too, when
    `create_extension` creates it there); `error` rows fail, the rest are
    warnings. `as_owner`: a login that is not a superuser (and may not even
    use the project schemas) checks as outreach_owner, made a member for
    this rolled-back transaction only (it needs CREATEROLE, as pyctl migrate
    does). Otherwise the transaction is READ ONLY.
    plpgsql_check 2.3 (Debian bookworm) can leave the session's PL/pgSQL
    function cache broken when a checked function ran earlier in the same
    session (XX000 unrecognized node type): give this a connection of its
    own and close it afterwards, never a pooled one."""
    check = _check("plpgsql_check")
    checked = skipped = 0
    try:
        conn.execute("BEGIN" if create_extension or as_owner else "BEGIN READ ONLY")
        if create_extension:
            conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
        if as_owner:
            if not conn.execute("SELECT pg_has_role(session_user, 'outreach_owner', 'MEMBER')").fetchone()[0]:
                conn.execute(sql.SQL("GRANT outreach_owner TO {}").format(
                    sql.Identifier(conn.execute("SELECT session_user").fetchone()[0])))
            conn.execute("SET LOCAL ROLE outreach_owner")  # owner-role: checks only, rolled back below
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
SELECT n.nspname || '.' || c.relname AS tbl, r.rolname, a.privilege_type
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  CROSS JOIN LATERAL aclexplode(c.relacl) a
  JOIN pg_roles r ON r.oid = a.grantee
 WHERE n.nspname || '.' || c.relname = %(t)s
   AND a.privilege_type = ANY(%(privs)s)
   AND NOT r.rolsuper AND r.rolname <> 'outreach_owner'
 ORDER BY 2, 3
"""

RELATION_EXISTS = ("SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                   " WHERE n.nspname || '.' || c.relname = %s")

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
    """The role policy (docs/reference/conventions.md): list every holder of a write on a guarded table or EXECUTE on
    a sanctioned writer; fail for each grant pyctl.policy does not allow."""
    check = _check("mutation_guard")
    grants = []
    missing = []
    for table in policy.guarded_tables(conn, "sovereign", "append_only"):
        # by name through the catalogs: to_regclass needs USAGE on the schema
        if conn.execute(RELATION_EXISTS, (table,)).fetchone() is None:
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
    if conn.execute("SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                    " WHERE n.nspname = 'shq' AND p.proname = 'fn_verify_audit_seals'").fetchone() is None:
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




# ------------------------------------------------------------------ the maintained eligibility row
#: at most this many drifted companies are listed one by one (the count is always given)
ELIGIBILITY_LISTED = 100


def check_eligibility(conn: psycopg.Connection) -> dict:
    """outreach.fn_company_eligibility_drift() (when it exists): no company's
    maintained eligibility row differs from the from-scratch computation."""
    check = _check("eligibility")
    if conn.execute("SELECT pg_catalog.to_regprocedure('outreach.fn_company_eligibility_drift(text[])') IS NULL",
                    prepare=False).fetchone()[0]:
        check["info"]["skipped"] = "outreach.fn_company_eligibility_drift() does not exist (run pyctl migrate)"
        return check
    with conn.cursor(row_factory=dict_row) as cur:
        drifted = cur.execute("SELECT company_unique_id, maintained, from_scratch"
                              "  FROM outreach.fn_company_eligibility_drift()", prepare=False).fetchall()
        companies = cur.execute("SELECT count(*) AS n FROM outreach.company_eligibility",
                                prepare=False).fetchone()["n"]
    for r in drifted[:ELIGIBILITY_LISTED]:
        m, s = r["maintained"], r["from_scratch"]
        if m is None or s is None:
            problem = "no maintained row" if m is None else "maintained row of a company not in the spine"
        else:
            problem = "maintained " + ", ".join(f"{k}={m[k]!r} (from scratch {s[k]!r})" for k in s if m.get(k) != s[k])
        _fail(check, r["company_unique_id"], f"{problem}; pyctl migrate rebuilds it",
              maintained=m, from_scratch=s)
    check["info"].update(companies=companies, drifted=len(drifted))
    return check


# ------------------------------------------------------------------ the reference database
def _login(conn: psycopg.Connection) -> dict:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT r.rolname, r.rolsuper, r.rolcreatedb, d.datname, pg_catalog.pg_encoding_to_char(d.encoding)"
            " AS encoding, d.datcollate, d.datctype, d.datlocprovider, d.daticulocale,"
            " EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'plpgsql_check') AS has_plpgsql_check,"
            " ARRAY(SELECT name FROM pg_catalog.pg_available_extensions WHERE name = ANY(%s)) AS available"
            " FROM pg_catalog.pg_roles r, pg_catalog.pg_database d"
            " WHERE r.rolname = session_user AND d.datname = pg_catalog.current_database()",
            (list(EXTENSIONS.values()),), prepare=False).fetchone()


def create_scratch(conn: psycopg.Connection, who: dict) -> str:
    """A new empty database for the reference, with the live one's encoding
    and locale; its name starts with SCRATCH_PREFIX."""
    name = f"{SCRATCH_PREFIX}{uuid.uuid4().hex[:10]}"
    opts = [sql.SQL("TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}").format(
        sql.Literal(who["encoding"]), sql.Literal(who["datcollate"]), sql.Literal(who["datctype"]))]
    if who["datlocprovider"] == "i":
        opts.append(sql.SQL("LOCALE_PROVIDER icu ICU_LOCALE {}").format(sql.Literal(who["daticulocale"])))
    try:
        conn.execute(sql.SQL("CREATE DATABASE {} ").format(sql.Identifier(name)) + sql.SQL(" ").join(opts),
                     prepare=False)
    except psycopg.errors.InsufficientPrivilege as e:
        raise VerifyRefused(
            f"verify: {format_db_error(e)} | verify builds its reference in a scratch database on this server:"
            f" grant {who['rolname']} CREATEDB (ALTER ROLE {who['rolname']} CREATEDB;)") from None
    return name


def drop_scratch(conn: psycopg.Connection, name: str) -> None:
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)), prepare=False)


def _read_only(conn: psycopg.Connection, fn):
    """fn(conn) in a READ ONLY transaction with LIVE_LOCK_TIMEOUT, rolled back."""
    conn.execute("BEGIN READ ONLY", prepare=False)
    try:
        conn.execute("SELECT pg_catalog.set_config('lock_timeout', %s, true)", (LIVE_LOCK_TIMEOUT,), prepare=False)
        return fn(conn)
    finally:
        conn.execute("ROLLBACK", prepare=False)


def _read_only_as_owner(conn: psycopg.Connection, fn):
    """fn(conn) as _read_only, but as outreach_owner for a login that may not
    read the project schemas itself (the managed deployer, which may grant
    itself the membership): granted, used and rolled back in one transaction."""
    if conn.execute("SELECT r.rolsuper OR pg_catalog.pg_has_role(session_user, 'outreach_owner', 'MEMBER')"
                    " FROM pg_catalog.pg_roles r WHERE r.rolname = session_user", prepare=False).fetchone()[0]:
        return _read_only(conn, fn)
    conn.execute("BEGIN", prepare=False)
    try:
        conn.execute(sql.SQL("GRANT outreach_owner TO {}").format(  # owner-role: reads only, rolled back below
            sql.Identifier(conn.execute("SELECT session_user", prepare=False).fetchone()[0])), prepare=False)
        conn.execute("SET LOCAL ROLE outreach_owner", prepare=False)  # owner-role: reads only, rolled back below
        conn.execute("SET LOCAL transaction_read_only = on", prepare=False)
        conn.execute("SELECT pg_catalog.set_config('lock_timeout', %s, true)", (LIVE_LOCK_TIMEOUT,), prepare=False)
        return fn(conn)
    finally:
        conn.execute("ROLLBACK", prepare=False)


def _check_grants(conn: psycopg.Connection) -> dict:
    """The grants audit: who may do what in read only transactions of the
    login itself (a membership granted for the registry's sake must not be
    seen), the registry's guards read as the owner where needed."""
    roles = [c for c in grants_audit.CHECKS if c not in grants_audit.REGISTRY_CHECKS]
    return grants_audit.as_verify_check(
        _read_only(conn, lambda c: grants_audit.audit_grants(c, roles))
        + _read_only_as_owner(conn, lambda c: grants_audit.audit_grants(c, grants_audit.REGISTRY_CHECKS)))


def check_drift(live: dict | None, live_error: str | None, reference: dict | None,
                reference_error: str | None) -> dict:
    check = _check("drift")
    if live is None:
        _fail(check, "live database", f"its catalog could not be read: {live_error}")
        return check
    if reference is None:
        _fail(check, "sources", f"the reference database could not be built from the sources: {reference_error}")
        return check
    for f in drift.compare(live, reference):
        if f["severity"] == "fail":
            _fail(check, f["subject"], f["problem"], kind=f["kind"])
        else:
            check["warnings"].append(f)
    check["info"]["objects"] = drift.counts(live)
    return check


def _leftover_scratch(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT datname FROM pg_catalog.pg_database WHERE datname LIKE %s AND NOT EXISTS"
        " (SELECT 1 FROM pg_catalog.pg_stat_activity a WHERE a.datname = pg_database.datname) ORDER BY 1",
        (SCRATCH_PREFIX.replace("_", "\\_") + "%",), prepare=False).fetchall()]


# ------------------------------------------------------------------ the run
def verify(dsn: str, root: Path | str = SQL_ROOT, audit: bool = False,
           echo: Callable[[str], None] | None = None, skip: tuple[str, ...] = ()) -> dict:
    """Run every check (but those in `skip`); return the report (see the
    module docstring). Raises VerifyRefused (one line) through a pooler or
    without CREATEDB."""
    from pyctl.migrate import migrate

    echo = echo or (lambda _msg: None)
    root = Path(root)
    t0 = time.perf_counter()
    report = {"ok": True, "dsn": redact(dsn), "started_at": datetime.now(timezone.utc).isoformat(),
              "checks": {}, "skipped": [], "server": {}, "every_check": dict(CHECK_DESCRIPTIONS)}
    wanted = [c for c in CHECKS if c not in skip and (audit or c not in READS_EVERY_ROW)]
    report["skipped"] = [c for c in CHECKS if c in skip]
    with connect(dsn, autocommit=True, application_name="pyctl verify", prepare_threshold=None) as conn:
        if behind_pooler(conn):
            raise VerifyRefused(
                f"verify: {redact(dsn)} goes through a connection pooler (the backend pid it announced is not the"
                " server's): run verify on a direct connection to the server; it builds a scratch database and"
                " must not leave plpgsql_check in a pooled session")
        who = _login(conn)
        report["login"] = {"role": who["rolname"], "superuser": who["rolsuper"], "database": who["datname"]}
        plpgsql_where = None
        if "plpgsql_check" in wanted:
            plpgsql_where = "live" if who["has_plpgsql_check"] else ("scratch" if who["rolsuper"] else None)
        need_scratch = "drift" in wanted or ("pgtap" in wanted and who["rolsuper"]) or plpgsql_where == "scratch"
        if need_scratch and not (who["rolsuper"] or who["rolcreatedb"]):
            raise VerifyRefused(
                f"verify: {who['rolname']} may not create databases: verify builds its reference in a scratch"
                f" database on this server; grant it CREATEDB (ALTER ROLE {who['rolname']} CREATEDB;)")
        leftovers = _leftover_scratch(conn)
        if leftovers:
            echo(f"verify: scratch databases left by an interrupted verify (drop them): {', '.join(leftovers)}")
            report["server"]["leftover_scratch_databases"] = leftovers

        results: dict[str, dict] = {}

        def run(name: str, fn) -> None:
            if name not in wanted:
                return
            echo(f"verify: {name} ...")
            t1 = time.perf_counter()
            try:
                check = fn()
            except psycopg.Error as e:
                check = _check(name)
                _fail(check, name, f"the check itself failed: {format_db_error(e)}")
            check.setdefault("status", "ok" if check["ok"] else "failed")
            check.setdefault("description", CHECK_DESCRIPTIONS.get(name, ""))
            check["seconds"] = round(time.perf_counter() - t1, 2)
            results[name] = check

        # the live database: catalog reads, each check in its own READ ONLY transaction
        live_snapshot = live_error = None
        if "drift" in wanted:
            try:
                live_snapshot = _read_only(conn, drift.snapshot)
            except psycopg.Error as e:
                live_error = format_db_error(e)
        run("security", lambda: _read_only(conn, check_security))
        # these two read the registry of guarded tables (schema shq)
        run("mutation_guard", lambda: _read_only_as_owner(conn, check_mutation_guard))
        run("grants", lambda: _check_grants(conn))
        run("eligibility", lambda: _read_only_as_owner(conn, check_eligibility))

        # the reference: a scratch database migrated from the sources
        scratch = reference = reference_error = None
        if need_scratch:
            echo("verify: building the reference database from the sources ...")
            t1 = time.perf_counter()
            scratch = create_scratch(conn, who)
            report["server"].update(scratch_database=scratch, created_from="template0")
        try:
            if scratch:
                scratch_dsn = with_dbname(dsn, scratch)
                try:
                    migrate(scratch_dsn, root)
                    with connect(scratch_dsn, autocommit=True, application_name="pyctl verify (reference)",
                                 prepare_threshold=None) as ref:
                        reference = _read_only(ref, drift.snapshot)
                except PyctlError as e:
                    reference_error = str(e)
                report["server"]["reference_seconds"] = round(time.perf_counter() - t1, 2)
            run("drift", lambda: check_drift(live_snapshot, live_error, reference, reference_error))

            if "pgtap" in wanted:
                if not who["rolsuper"]:
                    results["pgtap"] = _not_run(
                        _check("pgtap"),
                        f"{who['rolname']} is not a superuser: the behavioural suite creates the pgtap extension,"
                        " SET ROLEs to every group role and sets session_replication_role; it tests the sources,"
                        " so run `pyctl verify` as a superuser where you can (CI, a staging server of the same"
                        " version); the drift check shows this database matches the sources")
                elif EXTENSIONS["pgtap"] not in who["available"]:
                    results["pgtap"] = _unavailable("pgtap")
                elif reference is None:
                    results["pgtap"] = _check("pgtap")
                    _fail(results["pgtap"], "sources", f"no reference database to run in: {reference_error}")
                else:
                    run("pgtap", lambda: check_pgtap(with_dbname(dsn, scratch), root, echo))

            if "plpgsql_check" in wanted:
                if plpgsql_where is None:
                    results["plpgsql_check"] = _not_run(
                        _check("plpgsql_check"),
                        f"the plpgsql_check extension is not installed in {who['datname']} and {who['rolname']}"
                        " may not create it; with it installed, verify checks the live functions in a transaction"
                        " that it rolls back",
                        f"CREATE EXTENSION plpgsql_check;  -- in database {who['datname']}, as a superuser")
                elif plpgsql_where == "scratch" and EXTENSIONS["plpgsql_check"] not in who["available"]:
                    results["plpgsql_check"] = _unavailable("plpgsql_check")
                elif plpgsql_where == "scratch" and reference is None:
                    results["plpgsql_check"] = _check("plpgsql_check")
                    _fail(results["plpgsql_check"], "sources", f"no reference database: {reference_error}")
                else:
                    target = dsn if plpgsql_where == "live" else with_dbname(dsn, scratch)

                    def plpgsql():
                        # a connection of its own, closed right after (see check_plpgsql)
                        with connect(target, autocommit=True, application_name="pyctl verify (plpgsql_check)",
                                     prepare_threshold=None) as own:
                            c = check_plpgsql(own, create_extension=plpgsql_where == "scratch",
                                              as_owner=not who["rolsuper"])
                        c["info"]["database"] = plpgsql_where
                        return c
                    run("plpgsql_check", plpgsql)
        finally:
            if scratch:
                try:
                    drop_scratch(conn, scratch)
                    report["server"]["scratch_dropped"] = True
                except psycopg.Error as e:
                    report["server"]["scratch_dropped"] = False
                    echo(f"verify: could not drop the scratch database {scratch} (drop it by hand):"
                         f" {format_db_error(e)}")

        run("audit_seals", lambda: _read_only(conn, check_audit_seals))

    for name in CHECKS:
        if name in results:
            report["checks"][name] = results[name]
            report["ok"] = report["ok"] and results[name]["ok"]
    report["seconds"] = round(time.perf_counter() - t0, 2)
    return report


def write_report(report: dict, path: str | os.PathLike) -> None:
    Path(path).write_text(json.dumps(report, indent=2, default=str) + "\n")


def warning_line(w: dict) -> str:
    """One warning of a check, with its text: a finding (subject, problem),
    or a plpgsql_check message (function, line, message, detail)."""
    if "subject" in w:
        line = f"    warning: {w['subject']}: {w['problem']}"
        if w.get("dba_statement"):
            line += f"; a DBA runs: {w['dba_statement']}"
        return line
    where = f"{w.get('function')}" + (f" line {w['line']}" if w.get("line") is not None else "")
    line = f"    warning: {where}: {w.get('message')}"
    if w.get("detail"):
        line += f" ({w['detail']})"
    return line


def summary_lines(report: dict) -> list[str]:
    """The readable summary: one line per check, one per offender, warning
    and check that could not run."""
    lines = []
    for name, check in report["checks"].items():
        info = check.get("info", {})
        if check.get("status") == "not run":
            what = "not run"
        elif name == "pgtap":
            what = f"{info.get('count', 0)} files"
        elif name == "plpgsql_check":
            what = (f"{info.get('checked', 0)} functions ({info.get('database')} database), "
                    f"{len(check['failures'])} errors, {len(check['warnings'])} warnings")
            if info.get("skipped_unattached_triggers"):
                what += f", {info['skipped_unattached_triggers']} unattached trigger functions skipped"
        elif name == "drift":
            what = f"{sum(info.get('objects', {}).values())} objects compared with the sources"
        elif name == "security":
            what = f"{info.get('security_definer_functions', 0)} SECURITY DEFINER functions"
        elif name == "mutation_guard":
            what = f"{len(info.get('grants', []))} guarded grants"
            if info.get("tables_not_present"):
                what += f", {len(info['tables_not_present'])} guarded tables not present"
        elif name == "grants":
            what = f"{len(info.get('checks', []))} audits"
        elif name == "audit_seals":
            what = info.get("skipped") or f"{info.get('rows', 0)} seals"
        elif name == "eligibility":
            what = info.get("skipped") or (f"{info.get('companies', 0)} maintained rows,"
                                           f" {info.get('drifted', 0)} differ from scratch")
        else:
            what = ""
        state = {"ok": "ok  ", "failed": "FAIL", "not run": "WARN"}.get(check.get("status"), "ok  ")
        lines.append(f"{name:15} {state}  {what}  ({check.get('seconds', 0)}s)")
        for f in check["failures"]:
            lines.append(f"    - {f['subject']}: {f['problem']}")
        for w in check["warnings"]:
            lines.append(warning_line(w))
    if report.get("skipped"):
        lines.append(f"skipped: {', '.join(report['skipped'])}")
    lines.append(f"verify: {'ok' if report['ok'] else 'FAILED'} in {report.get('seconds', 0)}s")
    return lines
