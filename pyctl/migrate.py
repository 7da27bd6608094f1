"""`pyctl migrate`: the run-once migrations of db/ (read by yoyo), then the
repeatable sources of db/manifest.txt (functions/, triggers/, views/), every
time - all in ONE transaction, so a failure anywhere leaves the database as
it was (never tables without their guard triggers).

One run, on one connection, in one transaction:
  1. pg_advisory_xact_lock: two deploys cannot interleave (the lock goes
     with the transaction, never outlives it);
  2. set_config('shq.migrating', 'on', true): the DDL guard
     (functions/shq/tg_ddl_guard.sql) lets the migration's DDL through;
  3. the group roles of pyctl.policy that do not exist yet are created
     (NOLOGIN), so no migration needs a role it has not created;
  4. a login that is not a superuser (the managed-PostgreSQL deployer: a
     CREATEROLE login that owns the database) gets, for this transaction
     only, membership in outreach_owner and, for outreach_owner, CREATE on
     the database and on schema public, and then works as outreach_owner
     (SET LOCAL ROLE). Everything granted here is revoked before COMMIT:
     between deploys the deployer is not a member of the owner, so it cannot
     disable a guard trigger without first granting itself the owner role;
  5. the pending migrations of db/ (yoyo's files, order and bookkeeping
     tables `_yoyo_migration`/`_yoyo_log`/`_yoyo_version`), each file as
     one multi-statement string;
  6. the repeatable pass, with check_function_bodies off and search_path
     pinned to pg_catalog, pg_temp: drops the manifest's views (reverse
     order, no CASCADE), executes every manifest file in order;
  7. gives every project object to outreach_owner and revokes everything
     from PUBLIC;
  8. rebuilds the maintained eligibility rows (outreach.company_eligibility:
     filled on the first run, drift repaired later); then COMMIT.
Nothing is session state (no session lock, no `options` startup parameter,
no plain SET, no prepared statement), so it also runs through a
transaction-mode pooler such as pgbouncer. Re-running changes nothing. Any
failure rolls everything back and raises MigrateError naming the file: one
line (SQLSTATE, message, hint), no traceback.

What needs a superuser (the DDL guard's event triggers) is left out for any
other login, and `superuser_statements` says what a DBA runs.
"""
from __future__ import annotations

import getpass
import socket
import time
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import psycopg
from psycopg import sql

from pyctl.dsn import connect
from pyctl.errors import PyctlError, format_db_error
from pyctl.policy import GROUP_ROLES, PROJECT_SCHEMAS
from pyctl.resources import MANIFEST, SQL_ROOT

#: pg_advisory_xact_lock key of `pyctl migrate` (the bytes of "outreach", as int8)
ADVISORY_LOCK_KEY = int.from_bytes(b"outreach", "big") & 0x7FFF_FFFF_FFFF_FFFF
OWNER_ROLE = "outreach_owner"
#: the two project tables that live in `public` (docs/reference/conventions.md)
PUBLIC_TABLES = ("shq_error_log", "shq_error_log_archive")
REPEATABLE_DIRS = ("functions", "triggers", "views")
#: yoyo's bookkeeping tables (its internal schema version 2), kept so that
#: `yoyo` itself still reads what pyctl applied
YOYO_SCHEMA_VERSION = 2
YOYO_TABLES = ("_yoyo_migration", "_yoyo_log", "_yoyo_version")


class MigrateError(PyctlError):
    """A migration or repeatable file failed; the message names the file."""


@dataclass
class MigrateResult:
    """What one run did (also what the bench and tests look at)."""

    applied: list[str] = field(default_factory=list)
    repeatables: int = 0
    views_dropped: int = 0
    reowned: list[str] = field(default_factory=list)
    #: grants made for the length of the transaction (and revoked before COMMIT)
    transient_grants: list[str] = field(default_factory=list)
    #: what a superuser must still run, one SQL statement each (see superuser_statements)
    superuser_statements: list[str] = field(default_factory=list)
    superuser: bool = True
    #: rows of outreach.company_eligibility the run rebuilt (filled the first time; 0 when nothing drifted)
    eligibility_rebuilt: int = 0
    seconds: float = 0.0


# ------------------------------------------------------------------ manifest
def read_manifest(root: Path = SQL_ROOT) -> list[Path]:
    """The repeatable files, in order: db/manifest.txt, one path per line
    relative to the project root; `#` comments and blank lines ignored.
    A listed file that does not exist, or one listed twice, is an error."""
    root = Path(root)
    manifest = root / MANIFEST
    if not manifest.exists():
        return []
    paths: list[Path] = []
    seen: set[str] = set()
    for lineno, raw in enumerate(manifest.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line in seen:
            raise MigrateError(f"{MANIFEST}:{lineno}: {line} is listed twice")
        seen.add(line)
        path = root / line
        if not path.is_file():
            raise MigrateError(f"{MANIFEST}:{lineno}: listed file {line} does not exist")
        paths.append(Path(line))
    return paths


def view_name(path: Path) -> str | None:
    """`schema.name` for views/<schema>/<name>.sql, else None."""
    parts = Path(path).parts
    if len(parts) == 3 and parts[0] == "views" and parts[2].endswith(".sql"):
        return f"{parts[1]}.{parts[2][:-4]}"
    return None


# ------------------------------------------------------------------ migrations (yoyo's files and tables)
def read_migrations(root: Path) -> list:
    """The migrations of db/ (yoyo's Migration objects), in dependency order."""
    from yoyo import read_migrations as yoyo_read
    from yoyo.exceptions import BadMigration
    from yoyo.migrations import topological_sort

    db_dir = Path(root) / "db"
    if not db_dir.is_dir():
        raise MigrateError(f"no migrations directory {db_dir}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            migrations = list(yoyo_read(str(db_dir)))
            for m in migrations:
                m.load()
            return list(topological_sort(migrations))
        except BadMigration as e:
            raise MigrateError(f"bad migration in db/: {' '.join(str(e).split())}") from None


def _migration_file(root: Path, migration) -> str:
    try:
        return str(Path(migration.path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return migration.path


def _yoyo_schema(cur) -> str | None:
    """Where yoyo's tables are (or go): the schema holding `_yoyo_migration`
    on the session's search_path, else the current schema."""
    return cur.execute(
        "SELECT coalesce((SELECT n.nspname FROM pg_catalog.pg_class c"
        " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.oid = pg_catalog.to_regclass('_yoyo_migration')), pg_catalog.current_schema())",
        prepare=False).fetchone()[0]


def _applied_hashes(cur, schema: str | None) -> set[str]:
    if schema is None:
        return set()
    exists = cur.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL",
                         (f'"{schema}"._yoyo_migration',), prepare=False).fetchone()[0]
    if not exists:
        return set()
    rows = cur.execute(sql.SQL("SELECT migration_hash FROM {}._yoyo_migration").format(sql.Identifier(schema)),
                       prepare=False).fetchall()
    return {r[0] for r in rows}


def migration_status(dsn: str, root: Path = SQL_ROOT) -> dict:
    """Applied and pending migrations of db/, and the repeatable files
    (read only: nothing is created)."""
    root = Path(root)
    migrations = read_migrations(root)
    with connect(dsn, autocommit=True, application_name="pyctl migrate --status", prepare_threshold=None) as conn:
        try:
            applied = _applied_hashes(conn.cursor(), _yoyo_schema(conn.cursor()))
        except psycopg.Error as e:
            raise MigrateError(f"reading yoyo's migration table: {format_db_error(e)}") from None
    return {
        "applied": [_migration_file(root, m) for m in migrations if m.hash in applied],
        "pending": [_migration_file(root, m) for m in migrations if m.hash not in applied],
        "repeatables": [str(p) for p in read_manifest(root)],
    }


def not_migrated(dsn: str, root: Path = SQL_ROOT) -> str | None:
    """What to tell a user whose command met a database that is not (fully)
    migrated, or None when it is (or when that cannot be told)."""
    try:
        st = migration_status(dsn, root)
    except Exception:  # noqa: BLE001 - cannot tell: the caller's own error stands
        return None
    run = "run `pyctl migrate` first (with the same --dsn or DATABASE_URL)"
    if not st["applied"]:
        return f"the database is not migrated: {run}"
    if st["pending"]:
        return f"the database has {len(st['pending'])} pending migration(s): {run}"
    return None


YOYO_DDL = (
    "CREATE TABLE IF NOT EXISTS {s}._yoyo_migration (migration_hash VARCHAR(64), migration_id VARCHAR(255),"
    " applied_at_utc TIMESTAMP, PRIMARY KEY (migration_hash))",
    "CREATE TABLE IF NOT EXISTS {s}._yoyo_log (id VARCHAR(36), migration_hash VARCHAR(64),"
    " migration_id VARCHAR(255), operation VARCHAR(10), username VARCHAR(255), hostname VARCHAR(255),"
    " comment VARCHAR(255), created_at_utc TIMESTAMP, PRIMARY KEY (id))",
    "CREATE TABLE IF NOT EXISTS {s}._yoyo_version (version INT NOT NULL PRIMARY KEY, installed_at_utc TIMESTAMP)",
)


def _ensure_yoyo_tables(cur, schema: str) -> None:
    """yoyo's bookkeeping tables (as yoyo 9 creates them), when absent."""
    s = sql.Identifier(schema)
    if cur.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL", (f'"{schema}"._yoyo_version',),
                   prepare=False).fetchone()[0]:
        return
    for ddl in YOYO_DDL:
        cur.execute(sql.SQL(ddl).format(s=s), prepare=False)
    cur.execute(sql.SQL("INSERT INTO {}._yoyo_version (version, installed_at_utc)"
                        " SELECT %s, %s WHERE NOT EXISTS (SELECT 1 FROM {}._yoyo_version)").format(s, s),
                (YOYO_SCHEMA_VERSION, _utcnow()), prepare=False)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _record_applied(cur, schema: str, migration) -> None:
    s = sql.Identifier(schema)
    now = _utcnow()
    cur.execute(sql.SQL("INSERT INTO {}._yoyo_migration (migration_hash, migration_id, applied_at_utc)"
                        " VALUES (%s, %s, %s)").format(s), (migration.hash, migration.id, now), prepare=False)
    cur.execute(sql.SQL("INSERT INTO {}._yoyo_log (id, migration_hash, migration_id, operation, username,"
                        " hostname, comment, created_at_utc) VALUES (%s, %s, %s, 'apply', %s, %s, %s, %s)").format(s),
                (str(uuid.uuid1()), migration.hash, migration.id, getpass.getuser(), socket.getfqdn(),
                 "pyctl migrate", now), prepare=False)


# ------------------------------------------------------------------ the maintained eligibility row
def rebuild_eligibility(cur) -> int:
    """Make outreach.company_eligibility equal to its from-scratch computation
    (the first run fills it; a later one repairs any drift, e.g. after a
    data-only restore or a hub registry change); the rows changed. Runs after
    the ownership pass: the rebuild is the table's sanctioned writer only as
    outreach_owner."""
    return cur.execute("SELECT outreach.fn_rebuild_company_eligibility()", prepare=False).fetchone()[0]


# ------------------------------------------------------------------ ownership and PUBLIC
OWNERSHIP_SQL = """
WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE nspname = ANY(%(schemas)s)),
owner AS (SELECT oid FROM pg_roles WHERE rolname = %(owner)s)
SELECT 1 AS pass, format('ALTER SCHEMA %%I OWNER TO %%I', n.nspname, %(owner)s)
  FROM pg_namespace n JOIN ns USING (oid)
 WHERE n.nspowner <> (SELECT oid FROM owner)
UNION ALL
SELECT CASE WHEN c.relkind = 'S' THEN 3 ELSE 2 END,
       format('ALTER %%s %%I.%%I OWNER TO %%I',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                             WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              n.nspname, c.relname, %(owner)s)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND (n.nspname = ANY(%(schemas)s)
        OR (n.nspname = 'public' AND (c.relname = ANY(%(public_tables)s)
                                      OR (c.relkind = 'S' AND c.relname LIKE 'shq\\_error\\_log%%'))))
   AND c.relowner <> (SELECT oid FROM owner)
   -- a sequence owned by a column follows its table
   AND NOT (c.relkind = 'S' AND EXISTS (
        SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
           AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
SELECT 4, format('ALTER %%s %%s OWNER TO %%I',
                 CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END,
                 p.oid::regprocedure, %(owner)s)
  FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
 WHERE p.proowner <> (SELECT oid FROM owner)
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                      AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
SELECT 5, format('ALTER %%s %%s OWNER TO %%I', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
                 t.oid::regtype, %(owner)s)
  FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('e', 'd', 'r', 'c')
   AND (t.typtype <> 'c' OR (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c')
   AND t.typowner <> (SELECT oid FROM owner)
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                      AND d.objid = t.oid AND d.deptype = 'e')
ORDER BY 1, 2
"""


def ownership_pass(cur) -> list[str]:
    """ALTER ... OWNER TO outreach_owner every project object not owned by it
    (schemas, tables, views, sequences, routines, types; the two public error
    tables and their sequences). Returns the statements run."""
    if cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (OWNER_ROLE,), prepare=False).fetchone() is None:
        return []
    cur.execute("SET LOCAL search_path = pg_catalog", prepare=False)
    statements = [r[1] for r in cur.execute(OWNERSHIP_SQL, {
        "schemas": list(PROJECT_SCHEMAS), "owner": OWNER_ROLE, "public_tables": list(PUBLIC_TABLES),
    }, prepare=False).fetchall()]
    for stmt in statements:
        cur.execute(stmt, prepare=False)
    return statements


PUBLIC_GRANTS_SQL = """
SELECT format('REVOKE ALL ON %%s %%I.%%I FROM PUBLIC', CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
              n.nspname, c.relname)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND (n.nspname = ANY(%(schemas)s)
        OR (n.nspname = 'public' AND (c.relname = ANY(%(public_tables)s)
                                      OR (c.relkind = 'S' AND c.relname LIKE 'shq\\_error\\_log%%'))))
   AND EXISTS (SELECT 1 FROM pg_catalog.aclexplode(coalesce(c.relacl, pg_catalog.acldefault(
                   CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a WHERE a.grantee = 0)
UNION ALL
SELECT format('REVOKE ALL ON %%s %%s FROM PUBLIC', CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END,
              p.oid::regprocedure)
  FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = ANY(%(schemas)s) AND p.prokind IN ('f', 'p', 'w', 'a')
   AND EXISTS (SELECT 1 FROM pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
                WHERE a.grantee = 0)
ORDER BY 1
"""


def revoke_public_pass(cur) -> list[str]:
    """No privilege for PUBLIC on any project table, view, sequence or
    routine: REVOKE where PUBLIC holds one (its default included), and only
    there, so that a database that already complies is not touched."""
    statements = [r[0] for r in cur.execute(PUBLIC_GRANTS_SQL, {
        "schemas": list(PROJECT_SCHEMAS), "public_tables": list(PUBLIC_TABLES)}, prepare=False).fetchall()]
    for stmt in statements:
        cur.execute(stmt, prepare=False)
    return statements


# ------------------------------------------------------------------ the repeatable pass
def _repeatable_pass(cur, root: Path, files: list[Path], result: MigrateResult, where: list[str]) -> None:
    """Drop the manifest's views, execute every manifest file (in the
    caller's transaction); `where[0]` names what is running, for errors."""
    cur.execute("SET LOCAL check_function_bodies = off", prepare=False)
    cur.execute("SET LOCAL client_min_messages = warning", prepare=False)
    # Every project name in a repeatable file is schema-qualified; what is
    # left unqualified (operators, built-in functions and types in views and
    # SQL bodies) binds to pg_catalog and nothing else.
    cur.execute("SET LOCAL search_path = pg_catalog, pg_temp", prepare=False)
    for path in reversed(files):
        name = view_name(path)
        if name:
            where[0] = str(path)
            schema, view = name.split(".", 1)
            cur.execute(sql.SQL("DROP VIEW IF EXISTS {}.{}").format(sql.Identifier(schema), sql.Identifier(view)),
                        prepare=False)
            result.views_dropped += 1
    for path in files:
        where[0] = str(path)
        text = (Path(root) / path).read_text()
        if text.strip():
            cur.execute(text, prepare=False)
        result.repeatables += 1


def apply_repeatables(conn: psycopg.Connection, root: Path, files: list[Path],
                      echo: Callable[[str], None], result: MigrateResult) -> None:
    """The repeatable pass, ownership and PUBLIC passes on their own, in one
    transaction (committed here, or rolled back with a MigrateError naming
    the file); `migrate` runs the same inside its single transaction."""
    where = ["db/manifest.txt"]
    try:
        with conn.transaction():
            cur = conn.cursor()
            _repeatable_pass(cur, root, files, result, where)
            where[0] = "ownership pass"
            result.reowned = ownership_pass(cur)
            where[0] = "REVOKE ... FROM PUBLIC pass"
            revoke_public_pass(cur)
    except psycopg.Error as e:
        raise MigrateError(f"{where[0]}: {format_db_error(e)}") from None


# ------------------------------------------------------------------ the deployer (not a superuser)
ROLE_SQL = """
SELECT r.rolname, r.rolsuper, r.rolcreaterole, r.rolinherit,
       pg_catalog.current_database() AS dbname,
       d.datdba = r.oid AS owns_database
  FROM pg_catalog.pg_roles r, pg_catalog.pg_database d
 WHERE r.rolname = session_user AND d.datname = pg_catalog.current_database()
"""


def _ensure_group_roles(cur, who: dict, result: MigrateResult) -> None:
    """Create the group roles of pyctl.policy that do not exist (NOLOGIN)."""
    missing = [r[0] for r in cur.execute(
        "SELECT x FROM unnest(%s::text[]) AS x WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = x)"
        " ORDER BY 1", (list(GROUP_ROLES),), prepare=False).fetchall()]
    if missing and not (who["rolsuper"] or who["rolcreaterole"]):
        statements = " ".join(f"CREATE ROLE {r} NOLOGIN;" for r in missing)
        raise MigrateError(
            f"42501: the group roles {', '.join(missing)} do not exist and {who['rolname']} may not create roles"
            f" | hint: grant it CREATEROLE (ALTER ROLE {who['rolname']} CREATEROLE;) or have a DBA run: {statements}")
    for role in missing:
        cur.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)), prepare=False)


def _become_owner(cur, who: dict, result: MigrateResult, revokes: list) -> None:
    """For a login that is not a superuser: what it needs to work as
    outreach_owner, granted for this transaction only (listed in
    result.transient_grants; their REVOKEs go to `revokes`, run by
    _end_owner), then SET LOCAL ROLE."""
    user, db = who["rolname"], who["dbname"]
    needed = []
    is_member = cur.execute("SELECT pg_catalog.pg_has_role(session_user, %s, 'MEMBER')", (OWNER_ROLE,),
                            prepare=False).fetchone()[0]
    if not is_member:
        needed.append((sql.SQL("GRANT {} TO {}").format(sql.Identifier(OWNER_ROLE), sql.Identifier(user)),
                       sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(OWNER_ROLE), sql.Identifier(user)),
                       f"GRANT {OWNER_ROLE} TO {user}"))
    if not cur.execute("SELECT pg_catalog.has_database_privilege(%s, pg_catalog.current_database(), 'CREATE')",
                       (OWNER_ROLE,), prepare=False).fetchone()[0]:
        needed.append((sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(sql.Identifier(db),
                                                                          sql.Identifier(OWNER_ROLE)),
                       sql.SQL("REVOKE CREATE ON DATABASE {} FROM {}").format(sql.Identifier(db),
                                                                             sql.Identifier(OWNER_ROLE)),
                       f"GRANT CREATE ON DATABASE {db} TO {OWNER_ROLE}"))
    if not cur.execute("SELECT pg_catalog.has_schema_privilege(%s, 'public', 'CREATE')", (OWNER_ROLE,),
                       prepare=False).fetchone()[0]:
        needed.append((sql.SQL("GRANT CREATE ON SCHEMA public TO {}").format(sql.Identifier(OWNER_ROLE)),
                       sql.SQL("REVOKE CREATE ON SCHEMA public FROM {}").format(sql.Identifier(OWNER_ROLE)),
                       f"GRANT CREATE ON SCHEMA public TO {OWNER_ROLE}"))
    for grant, revoke, text in needed:
        cur.execute("SAVEPOINT pyctl_grant", prepare=False)
        try:
            cur.execute(grant, prepare=False)
        except psycopg.Error as e:
            hint = (f"{user} needs CREATEROLE to make itself a member of {OWNER_ROLE} for the length of a migrate"
                    f" (ALTER ROLE {user} CREATEROLE;)" if text.startswith(f"GRANT {OWNER_ROLE}")
                    else f"{user} must own database {db} (ALTER DATABASE {db} OWNER TO {user};)")
            raise MigrateError(f"{text}: {format_db_error(e)} | {hint}") from None
        cur.execute("RELEASE SAVEPOINT pyctl_grant", prepare=False)
        result.transient_grants.append(text)
        revokes.append(revoke)
    cur.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER_ROLE)), prepare=False)


def _end_owner(cur, revokes: list) -> None:
    """Back to the session user; revoke what _become_owner granted."""
    cur.execute("SET LOCAL ROLE NONE", prepare=False)
    while revokes:
        cur.execute(revokes.pop(), prepare=False)


#: (name lookups through pg_namespace: the deployer has no USAGE on shq)
DDL_GUARD_SQL = """
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'shq' AND p.proname = 'fn_install_ddl_guard') AS guard_exists,
       (SELECT count(*) FROM pg_catalog.pg_event_trigger e
          JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname = 'shq' AND p.proname = 'tg_ddl_guard' AND e.evtenabled = 'A') AS armed
"""


def superuser_statements(conn: psycopg.Connection) -> list[str]:
    """What a superuser still has to run in this database after a migrate by
    another login: the DDL guard's event triggers (a superuser-only object)."""
    guard_exists, armed = conn.execute(DDL_GUARD_SQL, prepare=False).fetchone()
    return ["SELECT shq.fn_install_ddl_guard();"] if guard_exists and armed != 3 else []


def _privilege_hint(e: psycopg.Error, where: str, who: dict) -> str:
    """What to grant, when a login that is not a superuser lacks a privilege
    migrate needs (appended to the one-line error)."""
    if e.sqlstate != "42501" or not who or who.get("rolsuper"):
        return ""
    user, db = who["rolname"], who["dbname"]
    if not who.get("owns_database"):
        return (f" | pyctl migrate needs a login that owns the database:"
                f" ALTER DATABASE {db} OWNER TO {user}; (and CREATEROLE)")
    if not who.get("rolinherit"):
        return (f" | {user} is NOINHERIT, so it lacks the privileges of the database it owns (schema public):"
                f" ALTER ROLE {user} INHERIT; (pyctl migrate makes it a member of {OWNER_ROLE} only for its"
                " own transaction)")
    return ""


# ------------------------------------------------------------------ the run
def _take_lock(cur, echo: Callable[[str], None], timeout: float) -> None:
    """pg_advisory_xact_lock(ADVISORY_LOCK_KEY), waiting at most `timeout` s."""
    if cur.execute("SELECT pg_catalog.pg_try_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,),
                   prepare=False).fetchone()[0]:
        return
    echo("waiting for another `pyctl migrate` on this database ...")
    cur.execute("SELECT pg_catalog.set_config('lock_timeout', %s, true)", (f"{int(timeout * 1000)}ms",),
                prepare=False)
    try:
        cur.execute("SAVEPOINT pyctl_lock", prepare=False)
        cur.execute("SELECT pg_catalog.pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,), prepare=False)
    except psycopg.errors.LockNotAvailable:
        raise MigrateError(f"another `pyctl migrate` held the migration lock for over {timeout:.0f}s") from None
    cur.execute("RELEASE SAVEPOINT pyctl_lock", prepare=False)
    cur.execute("SELECT pg_catalog.set_config('lock_timeout', '0', true)", prepare=False)


def migrate(dsn: str, root: Path | str = SQL_ROOT, echo: Callable[[str], None] | None = None,
            lock_timeout: float = 600) -> MigrateResult:
    """Apply pending migrations and re-apply the repeatable sources in one
    transaction; see the module docstring. `echo` receives short progress
    lines (default: none)."""
    echo = echo or (lambda _msg: None)
    root = Path(root)
    t0 = time.perf_counter()
    result = MigrateResult()
    files = read_manifest(root)  # a missing listed file fails before anything runs
    migrations = read_migrations(root)
    blocking = [_migration_file(root, m) for m in migrations if not m.use_transactions]
    if blocking:
        raise MigrateError(f"{blocking[0]}: `-- transactional: false` is not supported: pyctl migrate applies every "
                           "migration and the repeatable sources in one transaction (all or nothing)")
    revokes: list = []
    who: dict = {}
    where = ["connecting"]
    with connect(dsn, application_name="pyctl migrate", prepare_threshold=None) as conn:
        cur = conn.cursor()
        try:
            with conn.transaction():
                where[0] = "taking the migration lock"
                _take_lock(cur, echo, lock_timeout)
                cur.execute("SELECT pg_catalog.set_config('shq.migrating', 'on', true)", prepare=False)
                who = dict(zip(("rolname", "rolsuper", "rolcreaterole", "rolinherit", "dbname", "owns_database"),
                               cur.execute(ROLE_SQL, prepare=False).fetchone()))
                result.superuser = bool(who["rolsuper"])
                where[0] = "yoyo's migration table"
                schema = _yoyo_schema(cur)
                if schema is None:
                    raise MigrateError("no schema to keep yoyo's migration table in (search_path names none that"
                                       " exists): create one or fix search_path")
                _ensure_yoyo_tables(cur, schema)
                applied = _applied_hashes(cur, schema)
                pending = [m for m in migrations if m.hash not in applied]
                echo(f"migrations: {len(pending)} pending" if pending else "migrations: up to date")
                where[0] = "creating the group roles"
                _ensure_group_roles(cur, who, result)
                if not result.superuser:
                    where[0] = f"working as {OWNER_ROLE}"
                    _become_owner(cur, who, result, revokes)
                for m in pending:
                    where[0] = name = _migration_file(root, m)
                    t1 = time.perf_counter()
                    cur.execute("SET LOCAL search_path TO DEFAULT", prepare=False)
                    cur.execute(m.source, prepare=False)
                    echo(f"  applied {name} ({time.perf_counter() - t1:.2f}s)")
                    result.applied.append(name)
                _repeatable_pass(cur, root, files, result, where)
                if not result.superuser:  # objects the session user may still own (earlier runs)
                    cur.execute("SET LOCAL ROLE NONE", prepare=False)
                where[0] = "ownership pass"
                result.reowned = ownership_pass(cur)
                where[0] = "REVOKE ... FROM PUBLIC pass"
                if not result.superuser:
                    cur.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(OWNER_ROLE)), prepare=False)
                revoke_public_pass(cur)
                where[0] = "rebuilding outreach.company_eligibility"
                result.eligibility_rebuilt = rebuild_eligibility(cur)
                if not result.superuser:
                    where[0] = "revoking what this run granted"
                    _end_owner(cur, revokes)
                where[0] = "yoyo's migration table"
                for m in pending:
                    _record_applied(cur, schema, m)
                where[0] = "COMMIT"
        except psycopg.Error as e:
            raise MigrateError(f"{where[0]}: {format_db_error(e)}{_privilege_hint(e, where[0], who)}") from None
        echo(f"repeatables: {result.repeatables} files re-applied"
             f" ({result.views_dropped} views recreated, {len(result.reowned)} objects given to {OWNER_ROLE})")
        if not result.superuser:
            try:
                result.superuser_statements = superuser_statements(conn)
            except psycopg.Error:
                result.superuser_statements = []
            for stmt in result.superuser_statements:
                echo(f"superuser needed: {who['rolname']} is not a superuser, so the DDL guard is not installed;"
                     f" a superuser runs in database {who['dbname']}: {stmt}")
    result.seconds = time.perf_counter() - t0
    echo(f"migrate: done in {result.seconds:.1f}s")
    return result
