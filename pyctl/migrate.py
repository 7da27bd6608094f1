"""`pyctl migrate`: the run-once migrations of db/ (yoyo), then the repeatable
sources of db/manifest.txt (functions/, triggers/, views/), every time.

One run:
  1. takes a session advisory lock on its own connection, held to the end,
     so two deploys cannot interleave (every migrate session also sets
     shq.migrating = on, which the DDL guard lets through);
  2. applies the pending yoyo migrations of db/, each in its own transaction;
  3. in ONE transaction, with check_function_bodies off and search_path
     pinned to pg_catalog, pg_temp: drops the manifest's views (reverse
     order, no CASCADE), executes every manifest file in order, gives every
     project object to outreach_owner, and revokes everything from PUBLIC.
Re-running changes nothing. Any failure rolls back the repeatable pass and
raises MigrateError naming the file: one line, no traceback.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import psycopg
from psycopg import sql

from pyctl.dsn import connect, redact, yoyo_url
from pyctl.errors import PyctlError, format_db_error
from pyctl.policy import PROJECT_SCHEMAS
from pyctl.resources import MANIFEST, SQL_ROOT

#: pg_advisory_lock key of `pyctl migrate` (the bytes of "outreach", as int8)
ADVISORY_LOCK_KEY = int.from_bytes(b"outreach", "big") & 0x7FFF_FFFF_FFFF_FFFF
OWNER_ROLE = "outreach_owner"
#: the two project tables that live in `public` (SPEC §0)
PUBLIC_TABLES = ("shq_error_log", "shq_error_log_archive")
#: session settings of every migrate connection: shq.migrating = on tells the
#: DDL guard (functions/shq/tg_ddl_guard.sql) that this is `pyctl migrate`
MIGRATE_SETTINGS = {"shq.migrating": "on"}
REPEATABLE_DIRS = ("functions", "triggers", "views")


class MigrateError(PyctlError):
    """A migration or repeatable file failed; the message names the file."""


@dataclass
class MigrateResult:
    """What one run did (also what the bench and tests look at)."""

    applied: list[str] = field(default_factory=list)
    repeatables: int = 0
    views_dropped: int = 0
    reowned: list[str] = field(default_factory=list)
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


# ------------------------------------------------------------------ yoyo
def _yoyo_backend(dsn: str):
    from yoyo import get_backend

    try:
        return get_backend(yoyo_url(dsn, MIGRATE_SETTINGS))
    except psycopg.Error as e:
        raise PyctlError(f"cannot connect to {redact(dsn)}: {' '.join(str(e).split())}") from None


def _read_migrations(root: Path):
    from yoyo import read_migrations

    db_dir = Path(root) / "db"
    if not db_dir.is_dir():
        raise MigrateError(f"no migrations directory {db_dir}")
    return read_migrations(str(db_dir))


def _migration_file(root: Path, migration) -> str:
    try:
        return str(Path(migration.path).resolve().relative_to(Path(root).resolve()))
    except ValueError:
        return migration.path


def migration_status(dsn: str, root: Path = SQL_ROOT) -> dict:
    """Applied and pending migrations of db/, and the repeatable files."""
    root = Path(root)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backend = _yoyo_backend(dsn)
        try:
            migrations = _read_migrations(root)
            applied = set(backend.get_applied_migration_hashes())
        finally:
            backend.connection.close()
    return {
        "applied": [_migration_file(root, m) for m in migrations if m.hash in applied],
        "pending": [_migration_file(root, m) for m in migrations if m.hash not in applied],
        "repeatables": [str(p) for p in read_manifest(root)],
    }


def apply_migrations(dsn: str, root: Path, echo: Callable[[str], None]) -> list[str]:
    """Apply the pending yoyo migrations of db/, one transaction each."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        backend = _yoyo_backend(dsn)
        try:
            migrations = _read_migrations(root)
            # We hold the advisory lock: a yoyo_lock row now can only be left
            # over by a pyctl that died mid-run.
            backend.break_lock()
            applied = []
            with backend.lock():
                pending = backend.to_apply(migrations)
                if pending:
                    echo(f"migrations: {len(pending)} pending")
                for m in pending:
                    name = _migration_file(root, m)
                    t0 = time.perf_counter()
                    try:
                        backend.apply_one(m)
                    except psycopg.Error as e:
                        raise MigrateError(f"{name}: {format_db_error(e)}") from None
                    except Exception as e:  # yoyo's own (bad migration file, lock timeout)
                        raise MigrateError(f"{name}: {type(e).__name__}: {' '.join(str(e).split())}") from None
                    echo(f"  applied {name} ({time.perf_counter() - t0:.2f}s)")
                    applied.append(name)
            return applied
        finally:
            try:
                backend.connection.close()
            except Exception:
                pass


# ------------------------------------------------------------------ repeatables
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


def _existing_schemas(cur) -> list[str]:
    rows = cur.execute("SELECT nspname FROM pg_namespace WHERE nspname = ANY(%s) ORDER BY 1",
                       (list(PROJECT_SCHEMAS),)).fetchall()
    return [r[0] for r in rows]


def ownership_pass(cur) -> list[str]:
    """ALTER ... OWNER TO outreach_owner every project object not owned by it
    (schemas, tables, views, sequences, routines, types; the two public error
    tables and their sequences). Returns the statements run."""
    if cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (OWNER_ROLE,)).fetchone() is None:
        return []
    cur.execute("SET LOCAL search_path = pg_catalog")
    statements = [r[1] for r in cur.execute(OWNERSHIP_SQL, {
        "schemas": list(PROJECT_SCHEMAS), "owner": OWNER_ROLE, "public_tables": list(PUBLIC_TABLES),
    }).fetchall()]
    for stmt in statements:
        cur.execute(stmt)
    return statements


def revoke_public_pass(cur) -> None:
    """No privilege for PUBLIC on any project table, view, sequence or routine."""
    for schema in _existing_schemas(cur):
        for kind in ("TABLES", "SEQUENCES", "ROUTINES"):
            cur.execute(sql.SQL("REVOKE ALL ON ALL {} IN SCHEMA {} FROM PUBLIC").format(
                sql.SQL(kind), sql.Identifier(schema)))
    rels = cur.execute(
        "SELECT c.relkind = 'S', c.oid::regclass::text FROM pg_class c"
        " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')"
        " AND (c.relname = ANY(%s) OR (c.relkind = 'S' AND c.relname LIKE 'shq\\_error\\_log%%'))"
        " ORDER BY 2", (list(PUBLIC_TABLES),)).fetchall()
    for is_seq, name in rels:
        cur.execute(sql.SQL("REVOKE ALL ON {} {} FROM PUBLIC").format(
            sql.SQL("SEQUENCE" if is_seq else "TABLE"), sql.SQL(name)))


def apply_repeatables(conn: psycopg.Connection, root: Path, files: list[Path],
                      echo: Callable[[str], None], result: MigrateResult) -> None:
    """The repeatable pass, in one transaction (committed here, or rolled back
    with a MigrateError naming the file)."""
    current = "db/manifest.txt"
    try:
        with conn.transaction():
            cur = conn.cursor()
            cur.execute("SET LOCAL check_function_bodies = off")
            cur.execute("SET LOCAL client_min_messages = warning")
            # Every project name in a repeatable file is schema-qualified; what
            # is left unqualified (operators, built-in functions and types in
            # views and SQL bodies) binds to pg_catalog and nothing else.
            cur.execute("SET LOCAL search_path = pg_catalog, pg_temp")
            for path in reversed(files):
                name = view_name(path)
                if name:
                    current = str(path)
                    schema, view = name.split(".", 1)
                    cur.execute(sql.SQL("DROP VIEW IF EXISTS {}.{}").format(
                        sql.Identifier(schema), sql.Identifier(view)))
                    result.views_dropped += 1
            for path in files:
                current = str(path)
                text = (Path(root) / path).read_text()
                if text.strip():
                    cur.execute(text)
                result.repeatables += 1
            current = "ownership pass"
            result.reowned = ownership_pass(cur)
            current = "REVOKE ... FROM PUBLIC pass"
            revoke_public_pass(cur)
    except psycopg.Error as e:
        raise MigrateError(f"{current}: {format_db_error(e)}") from None


# ------------------------------------------------------------------ the run
def _take_lock(lock_conn: psycopg.Connection, echo: Callable[[str], None], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    said = False
    while not lock_conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()[0]:
        if not said:
            echo("waiting for another `pyctl migrate` on this database ...")
            said = True
        if time.monotonic() > deadline:
            raise MigrateError(f"another `pyctl migrate` held the migration lock for over {timeout:.0f}s")
        time.sleep(0.5)


def migrate(dsn: str, root: Path | str = SQL_ROOT, echo: Callable[[str], None] | None = None,
            lock_timeout: float = 600) -> MigrateResult:
    """Apply pending migrations and re-apply the repeatable sources; see the
    module docstring. `echo` receives short progress lines (default: none)."""
    echo = echo or (lambda _msg: None)
    root = Path(root)
    t0 = time.perf_counter()
    result = MigrateResult()
    files = read_manifest(root)  # a missing listed file fails before anything runs
    lock_conn = connect(dsn, autocommit=True, application_name="pyctl migrate (lock)")
    try:
        _take_lock(lock_conn, echo, lock_timeout)
        result.applied = apply_migrations(dsn, root, echo)
        if not result.applied:
            echo("migrations: up to date")
        with connect(dsn, application_name="pyctl migrate", settings=MIGRATE_SETTINGS) as conn:
            apply_repeatables(conn, root, files, echo, result)
        echo(f"repeatables: {result.repeatables} files re-applied"
             f" ({result.views_dropped} views recreated, {len(result.reowned)} objects given to {OWNER_ROLE})")
    finally:
        try:
            lock_conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
        except psycopg.Error:
            pass
        lock_conn.close()
    result.seconds = time.perf_counter() - t0
    echo(f"migrate: done in {result.seconds:.1f}s")
    return result
