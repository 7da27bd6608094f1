"""`pyctl bench`: the budgets of the contract (docs/benchmarks.md), each a figure compared with a floor
measured in the same run on the same server.

A benchmark is a function registered with `@benchmark(name, budget_text)`
in a module `pyctl/bench/<area>.py` listed in BENCH_MODULES. It receives a
`Context` and returns a dict:

    figure  the measured number          floor  the same-run baseline (or None)
    ratio   figure / floor (or None)     unit   e.g. "tx/s", "s"
    ok      within budget?               note   anything worth saying (optional)

    from pyctl.bench import benchmark

    @benchmark("mint", "≥ 0.25 × floor (4 clients)")
    def mint(ctx):
        ...
        return dict(figure=..., floor=..., ratio=..., unit="tx/s", ok=..., note="")

The context gives a fresh scratch database, created on the target server and
migrated (dropped afterwards), connection helpers, the `quick` flag,
`seed(n)` (n companies of the data builder, pyctl.seed) and `run_clients`
(N client threads for T seconds, counting transactions).

A run builds each seeded dataset once: the first `seed(n, ...)` of a run
builds it in a database of its own (a clone of the migrated template), and
every benchmark that asks for the same data gets a file-level copy of that
database (`CREATE DATABASE ... TEMPLATE`) as its
scratch database: the same bytes its own build would have written, hint bits
and visibility map included, in seconds instead of minutes.

The report (`run`) also says where and when it was measured: the machine
(CPU, cores, memory), the PostgreSQL version and the date. A `--quick` run is
a smoke run: small data and short runs, so its ratios say the benchmarks run,
not whether the budgets hold; only a benchmark that failed to run fails it.
pyctl.bench.report renders one or more reports as the benchmarks page.
"""
from __future__ import annotations

import importlib
import importlib.util
import statistics
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from pyctl import output
from pyctl.dsn import connect, with_dbname
from pyctl.errors import PyctlError, format_db_error
from pyctl.seed import DEFAULT_SEED, add_overrides, seed
from pyctl.resources import SQL_ROOT

#: modules under pyctl/bench/ that register benchmarks; a listed module whose
#: file does not exist (yet) is skipped
BENCH_MODULES = ["foundation", "hubs", "gate", "bit", "governance", "operations", "campaign", "tamper", "scan", "metrics",
                 "outbox", "eligibility"]

RESULT_KEYS = ("figure", "floor", "ratio", "unit", "ok", "note")
#: a database bigger than this is copied with STRATEGY FILE_COPY (Runner._create)
FILE_COPY_ABOVE_BYTES = 1024 ** 3


@dataclass
class Benchmark:
    name: str
    budget: str
    fn: Callable[["Context"], dict]
    quick_ok: bool = True
    module: str = ""


REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, budget_text: str, quick_ok: bool = True):
    """Register `fn(ctx) -> dict` as benchmark `name`; `budget_text` is what the
    table prints (e.g. "≥ 0.5 × floor"); `quick_ok=False` leaves it out of
    `--quick` runs."""
    def register(fn):
        if name in REGISTRY and REGISTRY[name].fn is not fn:
            raise ValueError(f"benchmark {name!r} registered twice")
        REGISTRY[name] = Benchmark(name, budget_text, fn, quick_ok, fn.__module__)
        return fn
    return register


def load_benchmarks() -> dict[str, Benchmark]:
    """Import every module of BENCH_MODULES that exists; return the registry."""
    for mod in BENCH_MODULES:
        full = f"{__name__}.{mod}"
        if importlib.util.find_spec(full) is None:
            continue
        importlib.import_module(full)
    return REGISTRY


def ratio(figure: float | None, floor: float | None) -> float | None:
    """figure / floor, or None when either is missing or the floor is 0."""
    if figure is None or not floor:
        return None
    return figure / floor


# ------------------------------------------------------------------ context
class Context:
    """What a benchmark gets: `dsn` of its scratch database (migrated), the
    target server's `server_dsn`, `quick`, and helpers."""

    def __init__(self, server_dsn: str, dsn: str, dbname: str, quick: bool, runner: "Runner"):
        self.server_dsn = server_dsn
        self.dsn = dsn
        self.dbname = dbname
        self.quick = quick
        self.root = runner.root
        self._runner = runner
        self._conns: list[psycopg.Connection] = []
        self._seeded = False

    def connect(self, autocommit: bool = True, dsn: str | None = None) -> psycopg.Connection:
        """A new connection to the scratch database (closed after the benchmark)."""
        conn = connect(dsn or self.dsn, autocommit=autocommit, application_name="pyctl bench")
        self._conns.append(conn)
        return conn

    def seed(self, companies: int, overrides: bool = False, vacuumed: bool = False) -> None:
        """`companies` companies of the data builder (pyctl.seed, seed
        DEFAULT_SEED: company i is pyctl.seed.company_id(DEFAULT_SEED, i))
        in the scratch database; with `overrides`, the heavier kill-switch
        workload of pyctl.seed.add_overrides on top; with `vacuumed`, a
        `VACUUM ANALYZE` of the whole database after that (for a benchmark
        that runs one before it measures anyway: its own then has little
        left to do).

        The data is built once per run (Runner.dataset) and the scratch
        database replaced by a copy of it, unless the benchmark already holds
        a connection to its scratch database or seeded it before: then it is
        built in place (a second seed adds companies after the first's)."""
        if self._conns or self._seeded:
            _build_seeded(self.dsn, companies, overrides, vacuumed, base_seeded=False)
        else:
            self._use(self._runner.seeded_dataset(companies, overrides, vacuumed))
        self._seeded = True

    def _use(self, dataset: str) -> None:
        """Replace the (unused) scratch database by a copy of `dataset`."""
        self.dbname = self._runner.replace(self.dbname, dataset)
        self.dsn = with_dbname(self.server_dsn, self.dbname)

    def execute(self, query: str, params: Any = None) -> list[tuple]:
        """Run one statement in its own transaction; return its rows (if any)."""
        with connect(self.dsn, autocommit=True) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def scratch_database(self, migrated: bool = False) -> str:
        """Another scratch database (empty, or a clone of the migrated one);
        returns its DSN. Dropped after the run."""
        return self._runner.new_database(migrated=migrated)

    @staticmethod
    def timed(fn: Callable[[], Any]) -> float:
        """Seconds `fn()` took."""
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    def run_clients(self, n: int, seconds: float, step: Callable[[psycopg.Connection, Any, int], Any],
                    setup: Callable[[psycopg.Connection, int], Any] | None = None,
                    dsn: str | None = None) -> dict:
        """N threads, each with its own autocommit connection: `state =
        setup(conn, client_no)`, then `step(conn, state, i)` (i = 0, 1, ...)
        as often as possible for `seconds`. A step is one transaction. A step
        returning False stops that client early (e.g. out of input).
        Returns {tx, seconds, tps, errors, first_error, clients}."""
        counts = [0] * n
        errors: list[str] = []
        clock = {"start": 0.0, "stop": 0.0}

        def start_clock() -> None:  # runs once, when every client is ready, before any is released
            clock["start"] = time.perf_counter()
            clock["stop"] = clock["start"] + seconds

        barrier = threading.Barrier(n + 1, action=start_clock)

        def client(k: int) -> None:
            conn = None
            try:
                conn = connect(dsn or self.dsn, autocommit=True, application_name=f"pyctl bench client {k}")
                state = setup(conn, k) if setup else None
            except Exception as e:  # noqa: BLE001 - reported, not raised, from a thread
                errors.append(_describe(e))
                barrier.abort()
                return
            try:
                barrier.wait()
                i = 0
                while time.perf_counter() < clock["stop"]:
                    if step(conn, state, i) is False:
                        break
                    i += 1
                    counts[k] += 1
            except threading.BrokenBarrierError:
                pass
            except Exception as e:  # noqa: BLE001
                errors.append(_describe(e))
            finally:
                conn.close()

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(n)]
        for t in threads:
            t.start()
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            clock["start"] = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - clock["start"]
        total = sum(counts)
        return {"tx": total, "seconds": elapsed, "tps": total / elapsed if elapsed > 0 else 0.0,
                "errors": len(errors), "first_error": errors[0] if errors else None, "clients": n}

    def alternating_rounds(self, clients: int, pairs: int, seconds: float,
                           figure: tuple[Callable, Callable | None], floor: tuple[Callable, Callable | None],
                           before: Callable[[str], None] | None = None) -> dict:
        """Pairs of rounds of `seconds` each (run_clients with `clients`) of
        two workloads, `figure` and `floor`, each a (step, setup) pair, in
        alternating order (figure then floor, floor then figure, ...): load
        elsewhere on the machine during one round moves one pair, not the
        result, and a machine getting busier or quieter biases neither side.
        `before(name)` runs before each round ("figure" or "floor").
        Returns {"figure", "floor"}: the rounds summed (tx, seconds, tps,
        first_error); "pair_ratios": figure/floor of each pair, sorted; and
        "ratio": their median (None when the floor did nothing)."""
        runs: dict[str, list[dict]] = {"figure": [], "floor": []}
        workloads = {"figure": figure, "floor": floor}
        for pair in range(pairs):
            for name in (("figure", "floor") if pair % 2 == 0 else ("floor", "figure")):
                if before is not None:
                    before(name)
                step, setup = workloads[name]
                runs[name].append(self.run_clients(clients, seconds, step, setup=setup))

        def summed(rs: list[dict]) -> dict:
            tx, secs = sum(r["tx"] for r in rs), sum(r["seconds"] for r in rs)
            return {"tx": tx, "seconds": secs, "tps": tx / secs if secs else 0.0,
                    "first_error": next((r["first_error"] for r in rs if r["first_error"]), None)}

        pair_ratios = sorted(ratio(f["tps"], o["tps"]) or 0.0 for f, o in zip(runs["figure"], runs["floor"]))
        result = {"figure": summed(runs["figure"]), "floor": summed(runs["floor"]), "pair_ratios": pair_ratios}
        result["ratio"] = statistics.median(pair_ratios) if result["floor"]["tps"] else None
        return result

    def close(self) -> None:
        for c in self._conns:
            try:
                c.close()
            except Exception:
                pass
        self._conns.clear()


def _build_seeded(dsn: str, companies: int, overrides: bool, vacuumed: bool, base_seeded: bool) -> None:
    """What Context.seed puts in a database: the seeded companies (unless
    `base_seeded`: the database is a copy of them), the overrides, the vacuum."""
    if not base_seeded:
        seed(dsn, companies, DEFAULT_SEED)
    if overrides or vacuumed:
        with connect(dsn, autocommit=True, application_name="pyctl bench data") as conn:
            if overrides:
                add_overrides(conn, DEFAULT_SEED, companies)
            if vacuumed:
                conn.execute("VACUUM ANALYZE")


def _describe(e: BaseException) -> str:
    if isinstance(e, psycopg.Error):
        return format_db_error(e)
    if isinstance(e, PyctlError):
        return str(e)
    return f"{type(e).__name__}: {e}"


# ------------------------------------------------------------------ runner
class Runner:
    """Creates (and drops) the scratch databases of one `pyctl bench` run,
    and keeps the run's datasets: each built once, on first use, in a
    database of its own that benchmarks get copies of (`dataset`)."""

    def __init__(self, server_dsn: str, echo: Callable[[str], None], root: Path = SQL_ROOT):
        self.server_dsn = server_dsn
        self.root = Path(root)
        self.echo = echo
        self.prefix = f"pyctl_bench_{uuid.uuid4().hex[:8]}"
        self.template: str | None = None
        self.created: list[str] = []
        self.serial = 0
        #: dataset key -> the database holding it (no connections allowed: a template)
        self.datasets: dict[tuple, str] = {}
        #: dataset label -> seconds its build took (copies included), for the report
        self.dataset_seconds: dict[str, float] = {}
        self.admin = connect(server_dsn, autocommit=True, application_name="pyctl bench admin")

    def _create(self, template: str = "template0") -> str:
        """A new database, a copy of `template`: a big one copied file by file
        (STRATEGY FILE_COPY: a checkpoint, then a plain copy, faster than the
        default WAL-logged copy for gigabytes), a small one WAL-logged (no
        checkpoint to wait for)."""
        self.serial += 1
        name = f"{self.prefix}_{self.serial}"
        big = self.admin.execute("SELECT pg_database_size(%s) > %s", (template, FILE_COPY_ABOVE_BYTES)).fetchone()[0]
        self.admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
            sql.Identifier(name), sql.Identifier(template), sql.SQL(" STRATEGY FILE_COPY" if big else "")))
        self.created.append(name)
        return name

    def migrated_template(self) -> str:
        """The run's migrated template database (migrated on first use)."""
        if self.template is None:
            from pyctl.migrate import migrate

            self.template = self._create()
            self.echo(f"bench: migrating the scratch template {self.template} ...")
            migrate(with_dbname(self.server_dsn, self.template), self.root)
        return self.template

    def new_database(self, migrated: bool) -> str:
        """A new scratch database; a clone of the migrated template when `migrated`."""
        if not migrated:
            return with_dbname(self.server_dsn, self._create())
        return with_dbname(self.server_dsn, self._create(self.migrated_template()))

    def dataset(self, key: tuple, label: str, build: Callable[[str], None], base: str | None = None) -> str:
        """The database holding dataset `key`: on first use a copy of `base`
        (a dataset's database; default the migrated template), then
        `build(dsn)` on it; afterwards closed to connections, so that it can
        be copied at any time."""
        if key not in self.datasets:
            self.echo(f"bench: building the run's dataset {label} ...")
            t0 = time.perf_counter()
            name = self._create(base or self.migrated_template())
            build(with_dbname(self.server_dsn, name))
            self.admin.execute(sql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
            self.datasets[key] = name
            self.dataset_seconds[label] = round(time.perf_counter() - t0, 1)
        return self.datasets[key]

    def seeded_dataset(self, companies: int, overrides: bool, vacuumed: bool) -> str:
        """The dataset of Context.seed: the seeded companies (built from the
        migrated template), and a copy of them with the overrides and/or the
        vacuum on top."""
        def label(o: bool, v: bool) -> str:
            return f"seed {companies:,}" + (" + overrides" if o else "") + (" + VACUUM ANALYZE" if v else "")

        base = self.dataset(("seed", companies, DEFAULT_SEED, False, False), label(False, False),
                            lambda dsn: _build_seeded(dsn, companies, False, False, base_seeded=False))
        if not (overrides or vacuumed):
            return base
        return self.dataset(("seed", companies, DEFAULT_SEED, overrides, vacuumed), label(overrides, vacuumed),
                            lambda dsn: _build_seeded(dsn, companies, overrides, vacuumed, base_seeded=True),
                            base=base)

    def replace(self, scratch: str, dataset: str) -> str:
        """Drop scratch database `scratch` (nobody connected) and return a
        new one, a file-level copy of `dataset`."""
        self.drop(scratch)
        return self._create(dataset)

    def drop(self, name: str) -> None:
        """Drop one database of the run."""
        try:
            self.admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        except psycopg.Error as e:
            self.echo(f"bench: could not drop {name}: {format_db_error(e)}")
            return
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in reversed(list(self.created)):
            self.drop(name)
        self.datasets.clear()
        self.admin.close()


def machine() -> dict:
    """The machine a run measures: CPU model, cores, memory (the cgroup limit
    counts), operating system."""
    import os
    import platform

    from pyctl.cluster import memory_mb

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = memory_mb()
    return {"cpu": cpu, "cores": cores, "memory_gb": None if mem is None else round(mem / 1024, 1),
            "os": f"{platform.system()} {platform.release()}"}


def run(server_dsn: str, only: list[str] | None = None, quick: bool = False,
        echo: Callable[[str], None] | None = None, root: Path | str = SQL_ROOT) -> dict:
    """Run the registered benchmarks (all, or those named in `only`) and
    return {"quick", "date", "machine", "server_version", "results": [...],
    "ok", "failed_to_run"}. Each result has "error" true when the benchmark
    could not run; "ok" is true when every figure is within its budget."""
    import datetime as dt

    started = dt.datetime.now(dt.timezone.utc)
    echo = echo or (lambda _m: None)
    registry = load_benchmarks()
    if only:
        unknown = [n for n in only if n not in registry]
        if unknown:
            raise PyctlError(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(sorted(registry)) or 'none'}")
        chosen = [registry[n] for n in only]
    else:
        chosen = [b for b in registry.values() if b.quick_ok or not quick]
    runner = Runner(server_dsn, echo, Path(root))
    results = []
    version = None
    try:
        version = runner.admin.execute("SHOW server_version").fetchone()[0]
        for b in chosen:
            echo(f"bench: {b.name} ...")
            dsn = runner.new_database(migrated=True)
            ctx = Context(server_dsn, dsn, conninfo_to_dict(dsn)["dbname"], quick, runner)
            t0 = time.perf_counter()
            try:
                out = dict(b.fn(ctx) or {})
                out.setdefault("error", False)
            except Exception as e:  # noqa: BLE001 - one broken benchmark must not hide the others
                out = {"ok": False, "error": True, "note": f"error: {_describe(e)}"}
                if not isinstance(e, (psycopg.Error, PyctlError)):
                    out["traceback"] = traceback.format_exc(limit=5)
            finally:
                ctx.close()
                runner.drop(ctx.dbname)  # its copy of a dataset can take gigabytes: not kept to the end
            res = {"name": b.name, "budget": b.budget, **{k: out.get(k) for k in RESULT_KEYS}}
            res["ok"] = bool(res["ok"])
            res["seconds"] = round(time.perf_counter() - t0, 2)
            res.update({k: v for k, v in out.items() if k not in RESULT_KEYS})
            results.append(res)
    finally:
        runner.drop_all()
    return {"quick": quick, "date": started.isoformat(timespec="seconds"), "machine": machine(),
            "server_version": version, "results": results, "datasets_seconds": runner.dataset_seconds,
            "ok": all(r["ok"] for r in results),
            "failed_to_run": [r["name"] for r in results if r.get("error")]}


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    return str(v)


#: what a --quick run says first and last: its ratios are not the budgets
QUICK_NOTE = ["SMOKE RUN (--quick): small data and short runs. The ratios show that the benchmarks",
              "run; they are not the budgets, which only a full `pyctl bench` measures."]


def verdict(r: dict, quick: bool) -> str:
    """A result's last column: ok, over (budget), or error (did not run)."""
    if r.get("error"):
        return "error"
    if r["ok"]:
        return "ok"
    return "over (smoke)" if quick else "OVER"


def table_lines(report: dict) -> list[str]:
    """One table: benchmark, figure, floor, ratio, budget, and whether it is
    within budget; a --quick run says that it is a smoke run."""
    quick = bool(report.get("quick"))
    rows = []
    for r in report["results"]:
        unit = f" {r['unit']}" if r.get("unit") else ""
        rows.append((r["name"], _fmt(r["figure"]) + unit, _fmt(r["floor"]) + (unit if r["floor"] is not None else ""),
                     _fmt(r["ratio"]), r["budget"], verdict(r, quick)))
    lines = []
    lines += output.table_lines(rows, ["benchmark", "figure", "floor", "ratio", "budget",
                                       "smoke" if quick else "within budget"], right=())
    for r in report["results"]:
        if r.get("note"):
            lines.append(f"{r['name']}: {r['note']}")
    if quick:
        lines += ["", *QUICK_NOTE]
    return lines
