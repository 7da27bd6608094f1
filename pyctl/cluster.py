"""The embedded PostgreSQL 15 cluster behind `pyctl db start|stop|status|url|destroy`.

One cluster per project home, wherever in the checkout pyctl runs: the home
is $PYCTL_HOME when set, else the nearest directory at or above the current
one that holds the project's marker (db/manifest.txt, the manifest of its
SQL sources). Outside any checkout, without PYCTL_HOME, pyctl refuses rather
than start a second, empty cluster somewhere else.

Its state lives in `<home>/.pyctl/cluster.json` (data dir, port, pid). When
pyctl runs as root the data directory goes under /tmp (PostgreSQL refuses to
run as root, and a checkout under /root is out of the `postgres` user's
reach), owned by `postgres`, and initdb/pg_ctl run through `setpriv`.
The server listens on 127.0.0.1 only, trusts local connections as
`postgres`, and holds a database `outreach`; pg_cron is preloaded when its
library is installed.
"""
from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable

import psycopg
from psycopg import sql

from pyctl.errors import PyctlError

DEFAULT_DB = "outreach"
#: the variable that names the project home (the directory holding .pyctl/)
HOME_VAR = "PYCTL_HOME"
#: what makes a directory the project's home: the manifest of its SQL sources
MARKER = Path("db") / "manifest.txt"
SUPERUSER = "postgres"
PG_MAJOR = "15"
RUN_AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


def pg_bindir() -> Path:
    """Where initdb/pg_ctl live: $PYCTL_PG_BINDIR, Debian's PG 15 dir, or PATH."""
    env = os.environ.get("PYCTL_PG_BINDIR")
    if env:
        return Path(env)
    debian = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
    if (debian / "initdb").exists():
        return debian
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PyctlError(f"PostgreSQL {PG_MAJOR} server binaries not found (install postgresql-{PG_MAJOR} "
                     "or set PYCTL_PG_BINDIR)")


def pg_pkglibdir(bindir: Path) -> Path:
    """The server's extension library directory."""
    pg_config = bindir / "pg_config"
    if pg_config.exists():
        out = subprocess.run([str(pg_config), "--pkglibdir"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip())
    return bindir.parent / "lib"


def has_pg_cron(bindir: Path | None = None) -> bool:
    """Is the pg_cron library installed for this server?"""
    return (pg_pkglibdir(bindir or pg_bindir()) / "pg_cron.so").exists()


def has_lz4(bindir: Path | None = None) -> bool:
    """Was this server built with lz4 (wal_compression = lz4)?"""
    pg_config = (bindir or pg_bindir()) / "pg_config"
    if not pg_config.exists():
        return False
    out = subprocess.run([str(pg_config), "--configure"], capture_output=True, text=True)
    return out.returncode == 0 and "--with-lz4" in out.stdout


def memory_mb() -> int | None:
    """The memory this process may use: the machine's, or its cgroup's limit if lower."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            total = min(total, int(limit))
    except OSError:
        pass
    return total // (1024 * 1024)


def bulk_settings(data_dir: Path, bindir: Path | None = None) -> list[str]:
    """Server settings sized to this machine for the bulk work pyctl does
    (seed, bench): an eighth of the memory as shared_buffers (128MB..2GB),
    room for 8GB of WAL between checkpoints (less on a small disk), larger
    WAL buffers, lz4 for full-page images. Without them a 1M-company seed
    evicts dirty pages and writes a full-page image after every one of its
    many checkpoints."""
    mem = memory_mb()
    shared = 128 if mem is None else max(128, min(2048, mem // 8))
    try:
        free_gb = shutil.disk_usage(data_dir).free // 1024 ** 3
    except OSError:
        free_gb = 0
    wal_gb = max(1, min(8, free_gb // 5))
    lines = [
        f"shared_buffers = {shared}MB",
        "wal_buffers = 64MB",
        f"max_wal_size = {wal_gb}GB",
        "checkpoint_timeout = 30min",
    ]
    if has_lz4(bindir):
        lines.append("wal_compression = lz4")
    return lines


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def as_root() -> bool:
    return os.geteuid() == 0


def run_pg(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a PostgreSQL binary, as the `postgres` user when we are root."""
    full = RUN_AS_POSTGRES + cmd if as_root() else cmd
    return subprocess.run(full, capture_output=True, text=True, stdin=subprocess.DEVNULL, **kwargs)


def chown_postgres(path: Path) -> None:
    """Give `path` (recursively) to the postgres OS user."""
    pw = pwd.getpwnam("postgres")
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid, follow_symlinks=False)


def find_home(start: str | os.PathLike | None = None) -> Path:
    """The project home: $PYCTL_HOME, else the nearest directory at or above
    `start` (default: the current directory) holding MARKER."""
    env = os.environ.get(HOME_VAR)
    if env:
        home = Path(env).expanduser().resolve()
        if not home.is_dir():
            raise PyctlError(f"{HOME_VAR}={env} is not a directory")
        return home
    here = Path(start or os.getcwd()).resolve()
    for d in (here, *here.parents):
        if (d / MARKER).is_file():
            return d
    raise PyctlError(f"no project here: neither {here} nor a directory above it holds {MARKER} "
                     f"| hint: run pyctl inside the checkout, set {HOME_VAR} to the directory whose .pyctl/ "
                     "holds the cluster, or give --dsn / DATABASE_URL")


class Cluster:
    """The embedded cluster of the project home `home` (default: find_home())."""

    def __init__(self, home: str | os.PathLike | None = None):
        self.cwd = Path(home).resolve() if home is not None else find_home()
        self.home = self.cwd
        self.state_dir = self.cwd / ".pyctl"
        self.state_file = self.state_dir / "cluster.json"
        if as_root():
            digest = hashlib.sha1(str(self.cwd).encode()).hexdigest()[:12]
            self.base_dir = Path("/tmp") / f"pyctl-{digest}"
        else:
            self.base_dir = self.state_dir
        self.data_dir = self.base_dir / "data"
        self.log_file = self.base_dir / "postgres.log"

    # ------------------------------------------------------------ state
    def load_state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def save_state(self, **values) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        state = self.load_state()
        state.update(values)
        self.state_file.write_text(json.dumps(state, indent=2) + "\n")

    @property
    def port(self) -> int | None:
        return self.load_state().get("port")

    def url(self, dbname: str = DEFAULT_DB) -> str:
        """The URL of the cluster's port (whether it runs or not: see running_url)."""
        port = self.port
        if port is None:
            raise PyctlError(f"the embedded cluster of {self.home} has never been started (run `pyctl db start`)")
        return f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{dbname}"

    def running_url(self, dbname: str = DEFAULT_DB) -> str:
        """The URL, only while the cluster runs (a clear error, exit 3, otherwise)."""
        url = self.url(dbname)
        if not self.is_running():
            raise PyctlError(f"the embedded cluster of {self.home} is not running (its URL was {url}) "
                             "| hint: start it with `pyctl db start`", exit_code=3)
        return url

    # ------------------------------------------------------------ probes
    def postmaster_pid(self) -> int | None:
        """The pid in postmaster.pid when that process is alive."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return pid

    def accepts_connections(self, dbname: str = "postgres") -> bool:
        if self.port is None:
            return False
        try:
            with psycopg.connect(self.url(dbname), connect_timeout=3):
                return True
        except psycopg.Error:
            return False

    def is_running(self) -> bool:
        return self.postmaster_pid() is not None and self.accepts_connections()

    # ------------------------------------------------------------ actions
    def init(self, echo: Callable[[str], None] = print) -> None:
        """initdb a fresh data directory (no-op when one exists)."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        bindir = pg_bindir()
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if as_root():
            os.chmod(self.base_dir, 0o700)
            chown_postgres(self.base_dir)
        echo(f"initdb {self.data_dir}")
        # LC_COLLATE C: text compares as bytes (no strcoll), in the code point
        # order C.UTF-8 sorts by too; LC_CTYPE C.UTF-8 keeps case mapping and
        # character classes Unicode-aware (docs/development.md)
        p = run_pg([str(bindir / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER, "-A", "trust",
                    "-E", "UTF8", "--locale=C.UTF-8", "--lc-collate=C", "--no-sync"])
        if p.returncode != 0:
            tail = " ".join((p.stderr or p.stdout).split())[-400:]
            raise PyctlError(f"initdb failed: {tail}")
        with open(self.data_dir / "postgresql.conf", "a") as f:
            f.write("\n# settings written by `pyctl db start` on every start\ninclude_if_exists = 'pyctl.conf'\n")

    def write_settings(self, port: int) -> None:
        """The server settings pyctl owns, rewritten on every start."""
        lines = [
            "listen_addresses = '127.0.0.1'",
            f"port = {port}",
            "unix_socket_directories = ''",
            "max_connections = 200",
            "logging_collector = off",
            *bulk_settings(self.data_dir),
        ]
        if has_pg_cron():
            lines += [
                "shared_preload_libraries = 'pg_cron'",
                f"cron.database_name = '{DEFAULT_DB}'",
                "cron.use_background_workers = on",
                "max_worker_processes = 20",
            ]
        conf = self.data_dir / "pyctl.conf"
        conf.write_text("\n".join(lines) + "\n")
        if as_root():
            chown_postgres(conf)

    def start(self, echo: Callable[[str], None] = print) -> str:
        """Start the cluster (initialising it first when needed) and make sure
        the `outreach` database exists. Idempotent. Returns the URL."""
        if self.is_running():
            self.ensure_database()
            echo(f"already running: {self.url()}")
            return self.url()
        self.init(echo)
        port = self.port
        if port is None or not port_is_free(port):
            port = free_port()
        self.write_settings(port)
        self.save_state(data_dir=str(self.data_dir), port=port, log=str(self.log_file), pid=None)
        bindir = pg_bindir()
        p = run_pg([str(bindir / "pg_ctl"), "start", "-D", str(self.data_dir), "-l", str(self.log_file),
                    "-w", "-t", "60"])
        if p.returncode != 0:
            tail = self._log_tail()
            raise PyctlError(f"postgres did not start (see {self.log_file}): {tail}")
        pid = self.postmaster_pid()
        self.save_state(pid=pid)
        self._wait_ready()
        self.ensure_database()
        echo(f"started: {self.url()} (pid {pid}, data {self.data_dir})")
        return self.url()

    def stop(self, echo: Callable[[str], None] = print) -> None:
        """Fast shutdown; a no-op when the cluster is not running."""
        if self.postmaster_pid() is None:
            echo("not running")
            self.save_state(pid=None)
            return
        p = run_pg([str(pg_bindir() / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w",
                    "-t", "60"])
        if p.returncode != 0:
            raise PyctlError(f"pg_ctl stop failed: {' '.join((p.stderr or p.stdout).split())}")
        self.save_state(pid=None)
        echo("stopped")

    def destroy(self, echo: Callable[[str], None] = print) -> None:
        """Stop the cluster and delete it: its data directory and .pyctl/.
        The next `pyctl db start` initialises a new, empty one."""
        if self.postmaster_pid() is not None:
            self.stop(echo)
        for path in {self.base_dir, self.state_dir}:
            if path.exists():
                shutil.rmtree(path)
                echo(f"removed {path}")
        echo("destroyed")

    def status(self) -> dict:
        """What `pyctl db status` prints."""
        state = self.load_state()
        pid = self.postmaster_pid()
        running = pid is not None and self.accepts_connections()
        return {
            "home": str(self.home),
            "running": running,
            "pid": pid if running else None,
            "port": state.get("port"),
            "url": self.url() if state.get("port") else None,
            "data_dir": str(self.data_dir),
            "initialised": (self.data_dir / "PG_VERSION").exists(),
            "log": str(self.log_file),
            "pg_cron": has_pg_cron() if running else None,
        }

    def ensure_database(self, dbname: str = DEFAULT_DB) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=10) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))

    # ------------------------------------------------------------ helpers
    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.accepts_connections():
                return
            time.sleep(0.1)
        raise PyctlError(f"postgres started but accepts no connections (see {self.log_file}): {self._log_tail()}")

    def _log_tail(self) -> str:
        try:
            lines = [ln for ln in self.log_file.read_text(errors="replace").splitlines() if ln.strip()]
        except OSError:
            return "(no log)"
        return " | ".join(lines[-3:])[-600:]
