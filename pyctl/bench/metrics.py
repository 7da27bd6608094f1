"""Metrics benchmark (docs/monitoring.md): one scrape of every metric family
(the shq.vw_metrics_* views, one after the other on one connection, as
postgres_exporter runs them) in at most 200 ms at 1,000,000 companies.

Data: `pyctl seed` (companies, hubs, overrides, errors, BIT), then gate-check
history in time order: as many checks as companies spread over the previous
30 days and a tenth of that in the last hour (the gate family's window; every
send needs a gate check, so the delivery family reads fewer rows). The
snapshot refresh (the authoritative view scan, every 5 minutes in pg_cron) is
timed apart and reported in the note. --quick seeds 50,000 companies: its
figure is a smoke run, not the budget.
"""
from __future__ import annotations

import statistics
import time

from pyctl import metrics
from pyctl.bench import benchmark
from pyctl.seed import gate_history

BUDGET_MS = 200.0
FULL_COMPANIES = 1_000_000
QUICK_COMPANIES = 50_000
SCRAPES = 15



def load(ctx, companies: int) -> dict:
    """Seed `companies` companies (the run's seeded dataset, pyctl.seed with
    its default seed, as it leaves them) and the gate history; returns what was loaded."""
    t0 = time.perf_counter()
    ctx.seed(companies)
    seeded_s = time.perf_counter() - t0
    with metrics_conn(ctx.dsn) as conn:
        gate_history(conn, companies, span="30 days", offset="1 hour")
        recent = max(companies // 10, 1)
        gate_history(conn, recent, span="1 hour", offset="0")
        conn.execute("VACUUM ANALYZE outreach.send_attempt_audit")
    return {"companies": companies, "gate_checks_30d": companies, "gate_checks_last_hour": recent,
            "seed_seconds": round(seeded_s, 1)}


def metrics_conn(dsn: str):
    from pyctl.dsn import connect

    return connect(dsn, autocommit=True, application_name="pyctl bench metrics")


def measure(dsn: str, scrapes: int = SCRAPES) -> dict:
    """Refresh the snapshots once (timed), then `scrapes` scrapes after a warm-up:
    median milliseconds of the whole scrape and of each family."""
    with metrics_conn(dsn) as conn:
        t0 = time.perf_counter()
        refreshed = metrics.refresh_snapshot(conn)
        refresh_s = time.perf_counter() - t0
        metrics.scrape_timed(conn)
        totals, per_family = [], {}
        for _ in range(scrapes):
            t0 = time.perf_counter()
            _samples, seconds = metrics.scrape_timed(conn)
            totals.append((time.perf_counter() - t0) * 1000)
            for name, s in seconds.items():
                per_family.setdefault(name, []).append(s * 1000)
    return {"scrape_ms": statistics.median(totals),
            "families_ms": {k: round(statistics.median(v), 2) for k, v in sorted(per_family.items())},
            "refresh_seconds": round(refresh_s, 2),
            "refresh_ms_by_snapshot": {name: float(ms) for name, _ok, ms, _d in refreshed}}


@benchmark("metrics", f"≤ {BUDGET_MS:g} ms for all families at {FULL_COMPANIES:,} companies")
def bench_metrics(ctx):
    """Median milliseconds of one scrape of every metric family."""
    n = QUICK_COMPANIES if ctx.quick else FULL_COMPANIES
    loaded = load(ctx, n)
    m = measure(ctx.dsn)
    slowest = sorted(m["families_ms"].items(), key=lambda kv: -kv[1])[:3]
    note = (f"{n:,} companies, {loaded['gate_checks_last_hour']:,} gate checks in the last hour"
            f" ({loaded['gate_checks_30d']:,} before); slowest: "
            + ", ".join(f"{k} {v:.1f} ms" for k, v in slowest)
            + f"; snapshot refresh (pg_cron, every 5 min) {m['refresh_seconds']:.1f} s")
    if n != FULL_COMPANIES:
        note += f"; quick run: {n:,} companies, a smoke figure, not the {FULL_COMPANIES:,}-company budget"
    return dict(figure=round(m["scrape_ms"], 1), floor=None, ratio=None, unit="ms", ok=m["scrape_ms"] <= BUDGET_MS,
                note=note, families_ms=m["families_ms"], refresh_ms_by_snapshot=m["refresh_ms_by_snapshot"], **loaded)
