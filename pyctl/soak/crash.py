"""Crashing the server under the soak: an immediate-mode stop (`pg_ctl stop
-m immediate`: every server process quits at once, no checkpoint, as after a
power cut) and a restart, which replays the WAL (crash recovery).

The soak needs only `CrashControl`: `crash()`, then `restart()` (returns once
the server accepts connections again, on the same address). `pyctl soak`
uses `EmbeddedCrash` for the cluster under .pyctl/; the tests give the soak
a throwaway cluster of their own through the same interface.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pyctl.cluster import pg_bindir, run_pg
from pyctl.errors import PyctlError


class CrashControl(Protocol):
    """What the soak may do to the server it runs against."""

    def crash(self) -> None:
        """Stop the server in immediate mode (a crash); returns once it is down."""

    def restart(self) -> None:
        """Start it again; returns once crash recovery is over and it accepts connections."""


def stop_immediately(data_dir: str | Path) -> None:
    """`pg_ctl stop -m immediate` on the cluster in `data_dir` (as the
    postgres OS user when we are root); returns once every server process
    has exited."""
    p = run_pg([str(pg_bindir() / "pg_ctl"), "stop", "-D", str(data_dir), "-m", "immediate", "-w", "-t", "60"])
    if p.returncode != 0:
        raise PyctlError(f"pg_ctl stop -m immediate failed: {' '.join((p.stderr or p.stdout).split())}")


def start(data_dir: str | Path, log_file: str | Path) -> None:
    """`pg_ctl start -w` on the cluster in `data_dir`, with its own settings
    (so on the port it had): returns once crash recovery is over and the
    server accepts connections."""
    p = run_pg([str(pg_bindir() / "pg_ctl"), "start", "-D", str(data_dir), "-l", str(log_file), "-w", "-t", "300"])
    if p.returncode != 0:
        raise PyctlError(f"pg_ctl start after the crash failed (see {log_file}): "
                         f"{' '.join((p.stderr or p.stdout).split())}")


class EmbeddedCrash:
    """Crashes the embedded cluster (pyctl.cluster.Cluster) and starts it
    again with pg_ctl on its own data directory: its data_dir and log_file
    are all the soak uses of it. (Not Cluster.start(): that picks another
    port when the old one still has connections in TIME_WAIT, and the
    clients would lose the server.)"""

    def __init__(self, cluster):
        self.data_dir = cluster.data_dir
        self.log_file = cluster.log_file

    def crash(self) -> None:
        stop_immediately(self.data_dir)

    def restart(self) -> None:
        start(self.data_dir, self.log_file)

def embedded_cluster():
    """The embedded cluster `pyctl db` manages (the one place the soak locates it)."""
    from pyctl.cluster import Cluster

    return Cluster()
