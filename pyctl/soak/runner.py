"""One soak run: set up, start the clients and the faults, let them work,
crash the server on schedule, stop, then check every invariant.

    result = run_soak(dsn, SoakConfig(clients=8, seconds=60, crash_every=20, seed=7), crash=EmbeddedCrash(...))

Faults, besides the clients' own statement timeouts:

* the fault client terminates a random backend of the run's logins
  (pg_terminate_backend) every TERMINATE_EVERY seconds on average;
* with `crash_every` and a CrashControl, the server is stopped in immediate
  mode every `crash_every` seconds (not in the last few seconds of the run)
  and restarted; once it accepts connections again, every seal is verified
  (invariant 5) and the time recovery took is recorded.
"""
from __future__ import annotations

import random
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

import psycopg

from pyctl.dsn import connect, redact
from pyctl.errors import PyctlError, format_db_error
from pyctl.soak import setup
from pyctl.soak.clients import LEGACY_LOADER, Client, RunContext
from pyctl.soak.config import SoakConfig, Universe
from pyctl.soak.crash import CrashControl
from pyctl.soak.journal import Acks, Journal, OpStats

#: no crash in the last seconds of a run: the clients get to work on the recovered server
CRASH_MARGIN = 5.0


@dataclass
class CrashRecord:
    at: float                      # seconds into the run
    recovery_seconds: float        # from the immediate stop to the first accepted connection
    seals: dict[str, str]          # table -> fn_verify_audit_seals status after recovery
    error: str | None = None


@dataclass
class SoakResult:
    """Everything the invariants and the report need."""

    config: SoakConfig
    universe: Universe
    dsn: str
    started_at: float
    seconds: float
    journals: list[Journal]
    crashes: list[CrashRecord] = field(default_factory=list)
    terminated_backends: int = 0
    client_failures: list[str] = field(default_factory=list)
    setup_seconds: float = 0.0

    @property
    def acks(self) -> Acks:
        return Acks.merge(self.journals)

    def op_stats(self) -> dict[str, OpStats]:
        merged: dict[str, OpStats] = {}
        for j in self.journals:
            for name, s in j.stats.items():
                merged.setdefault(name, OpStats()).merge(s)
        return merged

    @property
    def kill_switch_waits(self) -> list[float]:
        return [w for j in self.journals for w in j.kill_switch_waits]

    @property
    def statement_timeouts(self) -> int:
        return sum(j.statement_timeouts for j in self.journals)


class _Faults(threading.Thread):
    """Terminates a random backend of the run's logins now and then."""

    def __init__(self, dsn: str, logins: list[str], config: SoakConfig, stop: threading.Event):
        super().__init__(name="soak-faults", daemon=True)
        self.dsn, self.logins, self.config, self.stop = dsn, logins, config, stop
        self.rng = random.Random(f"pyctl-soak:{config.seed}:faults")
        self.terminated = 0

    def run(self) -> None:
        conn = None
        while not self.stop.wait(self.rng.expovariate(1.0 / self.config.terminate_every)):
            try:
                if conn is None or conn.closed or conn.broken:
                    conn = psycopg.connect(self.dsn, autocommit=True, connect_timeout=5,
                                           application_name="pyctl soak faults")
                pids = [r[0] for r in conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE usename = ANY(%s) ORDER BY pid", (self.logins,))]
                if pids and conn.execute("SELECT pg_terminate_backend(%s)", (self.rng.choice(pids),)).fetchone()[0]:
                    self.terminated += 1
            except psycopg.Error:
                conn = None   # the server is down (a crash): try again later
        if conn is not None:
            conn.close()


class _Crasher(threading.Thread):
    """Crashes and restarts the server every `crash_every` seconds."""

    def __init__(self, crash: CrashControl, dsn: str, config: SoakConfig, t0: float, stop: threading.Event,
                 echo: Callable[[str], None]):
        super().__init__(name="soak-crasher", daemon=True)
        self.crash, self.dsn, self.config, self.t0, self.stop, self.echo = crash, dsn, config, t0, stop, echo
        self.records: list[CrashRecord] = []
        self.failure: BaseException | None = None

    def run(self) -> None:
        every = self.config.crash_every
        k = 1
        while True:
            at = self.t0 + k * every
            if at > self.t0 + self.config.seconds - CRASH_MARGIN or self.stop.wait(max(0.0, at - time.monotonic())):
                return
            t = time.monotonic()
            try:
                self.crash.crash()
                self.crash.restart()
                recovered = time.monotonic() - t
                seals = verify_seals(self.dsn)
                self.records.append(CrashRecord(round(t - self.t0, 1), round(recovered, 2), seals))
                self.echo(f"soak: crash {k} at {t - self.t0:.0f}s, recovered in {recovered:.1f}s, seals "
                          f"{'OK' if set(seals.values()) <= {'OK'} else seals}")
            except BaseException as e:  # noqa: BLE001 - reported, and it stops the run
                self.failure = e
                self.records.append(CrashRecord(round(t - self.t0, 1), -1, {}, str(e)))
                self.stop.set()
                return
            k += 1


def verify_seals(dsn: str) -> dict[str, str]:
    """table -> status of shq.fn_verify_audit_seals() (every seal recomputed)."""
    with psycopg.connect(dsn, autocommit=True, connect_timeout=30) as c:
        return {t: s for t, s in c.execute("SELECT table_name, status FROM shq.fn_verify_audit_seals()")}


def run_soak(dsn: str, config: SoakConfig, crash: CrashControl | None = None,
             echo: Callable[[str], None] = lambda _m: None) -> SoakResult:
    """Run the workload (see the module doc); the invariants are checked by
    pyctl.soak.invariants.check(result). The run's logins are dropped at the
    end; what the clients wrote stays (docs/soak.md lists it)."""
    if config.clients < 1 or config.seconds <= 0:
        raise PyctlError("--clients and --seconds must be positive", exit_code=2)
    if config.crash_every is not None and crash is None:
        raise PyctlError("--crash-every needs a server pyctl controls (the embedded cluster)", exit_code=2)
    with connect(dsn, autocommit=True, application_name="pyctl soak") as admin:
        setup.check_database(admin)
        universe = Universe.build(setup.run_prefix(admin, config.seed), config.clients, config.seconds)
        logins = setup.create_logins(admin, dsn)
    try:
        t_setup = time.monotonic()
        echo(f"soak: {config.clients} clients for {config.seconds:g}s on {redact(dsn)}, ids {universe.prefix}*, "
             f"seed {config.seed}")
        sequences = setup.build(logins, universe)
        setup_seconds = time.monotonic() - t_setup
        echo(f"soak: {universe.setup} companies built in {setup_seconds:.1f}s; clients start")
        stop = threading.Event()
        ctx = RunContext(config, universe, {**logins.dsns, LEGACY_LOADER: dsn}, sequences, stop)
        clients = [Client(i, ctx) for i in range(config.clients)]
        t0 = time.monotonic()
        started_at = time.time()
        faults = _Faults(dsn, list(logins.names.values()), config, stop) if config.terminate_every else None
        crasher = _Crasher(crash, dsn, config, t0, stop, echo) if config.crash_every else None
        for t in [*clients, *(x for x in (faults, crasher) if x)]:
            t.start()
        deadline = t0 + config.seconds
        next_echo = t0 + 10
        while not stop.wait(max(0.0, min(deadline, next_echo) - time.monotonic())):
            now = time.monotonic()
            if now >= deadline:
                break
            done = sum(len(s.latencies) for j in (c.journal for c in clients) for s in j.stats.values())
            echo(f"soak: {now - t0:.0f}s, {done:,} operations acknowledged")
            next_echo += 10
        stop.set()
        for t in [*(x for x in (crasher, faults) if x), *clients]:
            t.join(timeout=max(30.0, 3 * config.provider_timeout))
        seconds = time.monotonic() - t0
        result = SoakResult(config, universe, dsn, started_at, seconds, [c.journal for c in clients],
                            crashes=crasher.records if crasher else [],
                            terminated_backends=faults.terminated if faults else 0, setup_seconds=setup_seconds)
        for c in clients:
            if c.is_alive():
                result.client_failures.append(f"client {c.index} did not stop")
            elif c.crashed is not None:
                where = traceback.extract_tb(c.crashed.__traceback__)[-1]
                result.client_failures.append(f"client {c.index} failed: {type(c.crashed).__name__}: {c.crashed}"
                                              f" ({where.filename}:{where.lineno} {where.line})")
        if crasher and crasher.failure is not None:
            raise PyctlError(f"the crash controller failed, the run stops: {crasher.failure}")
        return result
    finally:
        try:
            with connect(dsn, autocommit=True, application_name="pyctl soak") as admin:
                setup.drop_logins(admin, logins)
        except (PyctlError, psycopg.Error) as e:
            msg = format_db_error(e) if isinstance(e, psycopg.Error) else str(e)
            echo(f"soak: could not drop the run's logins {sorted(logins.names.values())}: {msg}")
