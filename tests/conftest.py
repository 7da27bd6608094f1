"""The project's pytest harness: ONE throwaway PostgreSQL 15 cluster per test
session (testing.postgresql, run through setpriv when we are root), a template
database migrated once with `pyctl.migrate.migrate`, and a fresh clone of it
per test module.

Fixtures for test writers
-------------------------
server_dsn(dbname="postgres", user="postgres") -> str     (session) URL on the cluster
admin                      autocommit connection to the `postgres` database (session)
template_db                name of the migrated template database (session)
dbname, dsn                this module's own clone of the template (module)
conn                       autocommit connection to it as postgres (per test)
new_conn(user="postgres", autocommit=True)  factory: more connections to the module db
fresh_db(template=None) -> dsn   factory: a per-test database, a clone of the migrated
                           template (or of `template`, e.g. "template0" for an empty one)
login_role(*groups) -> (name, conn)  factory: a LOGIN role granted the group roles,
                           connected to the module db
run_pyctl(args, dsn=None, cwd=None, timeout=600, env=None) -> CompletedProcess
                           the installed `pyctl` console script, DATABASE_URL=dsn
A cluster that does not start or a migration that fails FAILS the tests
that need them; nothing is skipped.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
import testing.postgresql
from psycopg import sql

from helpers import REPO_ROOT, pyctl_executable
from pyctl.cluster import RUN_AS_POSTGRES, as_root, chown_postgres, has_pg_cron, pg_bindir
from pyctl.errors import format_db_error

CRON_DB = "cron_test"
TEMPLATE_DB = "pyctl_template"
STATEMENT_TIMEOUT_MS = 120_000


class Postgresql(testing.postgresql.Postgresql):
    """testing.postgresql, with initdb and postgres run as the `postgres` OS
    user when we are root (PostgreSQL refuses to run as root)."""

    def initialize_database(self):
        if as_root():
            os.chmod(self.base_dir, 0o700)
            chown_postgres(Path(self.base_dir))
        data = os.path.join(self.base_dir, "data")
        if os.path.exists(os.path.join(data, "PG_VERSION")):
            return
        cmd = [self.initdb, "-D", data, "--lc-messages=C", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
               *self.settings["initdb_args"].split()]
        if as_root():
            cmd = RUN_AS_POSTGRES + cmd
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"initdb failed: {p.stderr or p.stdout}")

    def get_server_commandline(self):
        cmd = super().get_server_commandline()
        return RUN_AS_POSTGRES + cmd if as_root() else cmd


def postgres_args() -> str:
    args = "-h 127.0.0.1 -F -c logging_collector=off -c max_connections=200"
    if has_pg_cron():
        args += (f" -c shared_preload_libraries=pg_cron -c cron.database_name={CRON_DB}"
                 " -c cron.use_background_workers=on -c max_worker_processes=20")
    return args


def _connect(url: str, autocommit: bool = True) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=autocommit, connect_timeout=10,
                           options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS}")


def _create_db(admin: psycopg.Connection, name: str, template: str) -> None:
    last = None
    for _ in range(5):
        try:
            admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                          sql.Identifier(template)))
            return
        except psycopg.errors.ObjectInUse as e:  # a session lingers on the template
            last = e
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                          " WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
    raise last


def _drop_db(admin: psycopg.Connection, name: str) -> None:
    try:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    except psycopg.Error:
        pass


# ------------------------------------------------------------------ session
@pytest.fixture(scope="session")
def pg_cluster():
    """The session's throwaway cluster."""
    base = tempfile.mkdtemp(prefix="pyctl-test-", dir="/tmp")
    os.chmod(base, 0o755)
    try:
        bindir = pg_bindir()
        server = Postgresql(base_dir=base, initdb=str(bindir / "initdb"), postgres=str(bindir / "postgres"),
                            postgres_args=postgres_args())
    except Exception as e:  # noqa: BLE001 - a harness failure must fail, not skip
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"cannot start the test cluster: {e}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def server_dsn(pg_cluster):
    """server_dsn(dbname="postgres", user="postgres") -> URL on the test cluster."""
    port = pg_cluster.settings["port"]

    def make(dbname: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{port}/{dbname}"

    return make


@pytest.fixture(scope="session")
def admin(server_dsn):
    conn = _connect(server_dsn())
    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(CRON_DB)))
    yield conn
    conn.close()


def cron_database(server_dsn, create_extension: bool):
    """For a module's `cron_dsn` fixture (`yield from`): cron_test, pg_cron's
    own database, migrated in place, with pg_cron created afresh or absent.
    Never dropped (pg_cron's launcher is connected to it and exits for good
    when terminated); the extension is dropped at the end, so the next module
    finds it as it was."""
    from pyctl.migrate import migrate

    dsn = server_dsn(CRON_DB)
    migrate(dsn)
    with _connect(dsn) as c:
        c.execute("DROP EXTENSION IF EXISTS pg_cron")
        if create_extension:
            c.execute("CREATE EXTENSION pg_cron")
    yield dsn
    with _connect(dsn) as c:
        c.execute("DROP EXTENSION IF EXISTS pg_cron")


@pytest.fixture
def cconn(cron_dsn):
    """Autocommit connection (as postgres) to cron_test; `cron_dsn` is the module's."""
    c = _connect(cron_dsn)
    yield c
    c.close()


@pytest.fixture(scope="session")
def template_db(admin, server_dsn):
    """The template database, migrated once; a failed migration fails every test using it."""
    from pyctl.migrate import migrate
    from pyctl.errors import PyctlError

    _drop_db(admin, TEMPLATE_DB)
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
    try:
        migrate(server_dsn(TEMPLATE_DB))
    except PyctlError as e:
        pytest.fail(f"pyctl migrate of the template failed: {e}", pytrace=False)
    except psycopg.Error as e:
        pytest.fail(f"pyctl migrate of the template failed: {format_db_error(e)}", pytrace=False)
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (TEMPLATE_DB,))
    return TEMPLATE_DB


# ------------------------------------------------------------------ per module
@pytest.fixture(scope="module")
def dbname(admin, template_db):
    """This test module's own clone of the migrated template."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    _create_db(admin, name, template_db)
    yield name
    _drop_db(admin, name)


@pytest.fixture(scope="module")
def dsn(dbname, server_dsn):
    return server_dsn(dbname)


@pytest.fixture
def conn(dsn):
    """Autocommit connection (as postgres) to the module's database."""
    c = _connect(dsn)
    yield c
    c.close()


@pytest.fixture
def new_conn(dbname, server_dsn):
    """Factory: new_conn(user="postgres", autocommit=True) -> a connection to the module db."""
    opened = []

    def make(user: str = "postgres", autocommit: bool = True) -> psycopg.Connection:
        c = _connect(server_dsn(dbname, user), autocommit=autocommit)
        opened.append(c)
        return c

    yield make
    for c in opened:
        try:
            c.close()
        except Exception:
            pass


@pytest.fixture
def fresh_db(admin, template_db, server_dsn):
    """Factory: fresh_db(template=None) -> DSN of a new database for this test
    only (a clone of the migrated template, or of `template`; "template0"
    gives an empty one). Dropped at teardown."""
    made = []

    def make(template: str | None = None) -> str:
        name = f"f_{uuid.uuid4().hex[:12]}"
        _create_db(admin, name, template or template_db)
        made.append(name)
        return server_dsn(name)

    yield make
    for name in made:
        _drop_db(admin, name)


@pytest.fixture
def login_role(admin, dsn, new_conn):
    """Factory: login_role(*groups) -> (role_name, connection as that role to
    the module db). Roles are dropped at teardown."""
    made = []

    def make(*groups: str):
        name = f"login_{uuid.uuid4().hex[:10]}"
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
        made.append(name)
        for g in groups:
            admin.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(g), sql.Identifier(name)))
        return name, new_conn(user=name)

    yield make
    if not made:
        return
    with _connect(dsn) as c:
        for name in made:
            try:
                c.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,))
                c.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
                c.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
            except psycopg.Error:
                pass


# ------------------------------------------------------------------ the CLI
@pytest.fixture(scope="session")
def run_pyctl():
    """run_pyctl(args, dsn=None, cwd=None, timeout=600, env=None) ->
    CompletedProcess (text). DATABASE_URL is set to `dsn` (and unset when None)."""
    try:
        exe = pyctl_executable()
    except RuntimeError as e:
        pytest.fail(str(e), pytrace=False)

    def run(args, dsn: str | None = None, cwd=None, timeout: float = 600, env: dict | None = None):
        e = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}
        if dsn is not None:
            e["DATABASE_URL"] = dsn
        e.update(env or {})
        return subprocess.run([exe, *map(str, args)], cwd=cwd or REPO_ROOT, env=e, capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL)

    return run
