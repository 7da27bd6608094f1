"""Real tools around the test cluster, for the operations tests: a pgbouncer
of our own (transaction pooling, a free localhost port, its own config and
auth file in a temp dir) and a second throwaway cluster. Each starts the real
program from its Debian package and stops exactly the process it started."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from pyctl.cluster import RUN_AS_POSTGRES, as_root, chown_postgres, free_port

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


class PgBouncer:
    """pgbouncer in front of 127.0.0.1:`server_port`, every database name
    passed through (`* = ...`), trust authentication for the users added
    with add_users (pgbouncer still wants each one in its auth file)."""

    def __init__(self, server_port: int, pool_mode: str = "transaction", pool_size: int = 4,
                 users: tuple[str, ...] = ("postgres",)):
        if not Path(PGBOUNCER).exists():
            raise RuntimeError("pgbouncer is not installed (apt-get install pgbouncer)")
        self.server_port = server_port
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="pyctl-pgbouncer-", dir="/tmp"))
        os.chmod(self.dir, 0o755)
        self.users: set[str] = set(users)
        self.ini = self.dir / "pgbouncer.ini"
        self.ini.write_text(f"""[databases]
* = host=127.0.0.1 port={server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = hba
auth_hba_file = {self.dir}/hba.conf
auth_file = {self.dir}/users.txt
pool_mode = {pool_mode}
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 500
server_reset_query =
logfile = {self.dir}/pgbouncer.log
pidfile =
admin_users = postgres
""")
        (self.dir / "hba.conf").write_text("host all all 127.0.0.1/32 trust\n")
        self._write_users()
        self.proc: subprocess.Popen | None = None

    def _write_users(self) -> None:
        (self.dir / "users.txt").write_text("".join(f'"{u}" ""\n' for u in sorted(self.users)))
        if as_root():
            chown_postgres(self.dir)

    def start(self) -> "PgBouncer":
        cmd = [PGBOUNCER, str(self.ini)]
        self.proc = subprocess.Popen(RUN_AS_POSTGRES + cmd if as_root() else cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.proc.stderr.read().decode()[-2000:]} {self.log()[-2000:]}")
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return self
            except psycopg.OperationalError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"pgbouncer did not come up on port {self.port}: {self.log()[-2000:]}")

    def add_users(self, *names: str) -> None:
        """Let these roles log in through the pooler (rewrite the auth file, reload)."""
        new = set(names) - self.users
        if not new:
            return
        self.users |= new
        self._write_users()
        self.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        for name in sorted(new):
            while True:
                try:
                    psycopg.connect(self.url("postgres", name), connect_timeout=2).close()
                    break
                except psycopg.OperationalError as e:
                    if "authentication" not in str(e) or time.monotonic() > deadline:
                        if "authentication" in str(e):
                            raise
                        break  # the user exists for the pooler; the server refused for its own reasons
                    time.sleep(0.1)

    def url(self, dbname: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def log(self) -> str:
        try:
            return (self.dir / "pgbouncer.log").read_text()
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop exactly the pgbouncer this object started."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


def pooled(url: str, autocommit: bool = True, **kwargs) -> psycopg.Connection:
    """A connection through the pooler as an application would open one:
    psycopg's defaults (prepare_threshold 5), nothing pooler-specific."""
    return psycopg.connect(url, autocommit=autocommit, connect_timeout=10, **kwargs)


class Cluster:
    """A second throwaway PostgreSQL 15 cluster (the harness's Postgresql
    class, its own data directory and port), e.g. the new server of a
    restore or an empty one for a managed deployer. `settings` are extra
    `-c name=value` server settings."""

    def __init__(self, **settings: str):
        from conftest import Postgresql  # the harness's class (initdb/postgres as the postgres user)
        from pyctl.cluster import pg_bindir

        self.base = tempfile.mkdtemp(prefix="pyctl-test-2nd-", dir="/tmp")
        os.chmod(self.base, 0o755)
        args = "-h 127.0.0.1 -F -c logging_collector=off -c max_connections=60"
        args += "".join(f" -c {k}={v}" for k, v in settings.items())
        bindir = pg_bindir()
        try:
            self.server = Postgresql(base_dir=self.base, initdb=str(bindir / "initdb"),
                                     postgres=str(bindir / "postgres"), postgres_args=args)
        except Exception:
            shutil.rmtree(self.base, ignore_errors=True)
            raise
        self.port = self.server.settings["port"]

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def execute(self, statement, params=None, dbname: str = "postgres"):
        with psycopg.connect(self.url(dbname), autocommit=True) as c:
            cur = c.execute(statement, params)
            return cur.fetchall() if cur.description else None

    def stop(self) -> None:
        """Stop exactly this cluster's postmaster and remove its files."""
        try:
            self.server.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
