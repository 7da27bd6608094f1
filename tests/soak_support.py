"""What the soak tests need around pyctl.soak: a crash control over a
throwaway cluster of the test's own (never the session's shared cluster),
and the ways a test plants a violation in a copy of a soaked database, each
committed by a superuser who gets past the guards as an attacker or a bug
would (the DDL guard lets a session with shq.migrating = on alter triggers)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import psycopg

from pyctl.soak.crash import stop_immediately


class ThrowawayCrash:
    """pyctl.soak's CrashControl for an ops_support.Cluster: `pg_ctl stop -m
    immediate` on its data directory, then the harness starts the same
    server command again (same port; testing.postgresql keeps it as its
    child, so the cluster's own stop() still ends it)."""

    def __init__(self, cluster):
        self.server = cluster.server
        self.data_dir = Path(cluster.base) / "data"
        self.server.settings["boot_timeout"] = 120   # crash recovery replays the run's WAL
        self.crashes = 0

    def crash(self) -> None:
        stop_immediately(self.data_dir)
        self.server.child_process.wait(60)
        self.crashes += 1

    def restart(self) -> None:
        self.server.child_process = None
        self.server.start()


@contextmanager
def unguarded(conn: psycopg.Connection, *tables: str, trigger: str = "ALL"):
    """A transaction in which `trigger` (default: every trigger: guards,
    tombstones, foreign keys, history) of `tables` is disabled, committed
    with the triggers enabled again."""
    with conn.transaction():
        conn.execute("SET LOCAL shq.migrating = on")
        for t in tables:
            conn.execute(f"ALTER TABLE {t} DISABLE TRIGGER {trigger}")
        yield conn
        for t in tables:
            conn.execute(f"ALTER TABLE {t} ENABLE TRIGGER {trigger}")
        # the guard triggers are ENABLE ALWAYS, which ENABLE TRIGGER ALL does not restore
        conn.execute("SELECT shq.fn_install_guard_triggers()")
