"""Hub-model benchmarks (docs/reference/hubs.md): a full scan of THE authoritative view
`outreach.vw_marketing_eligibility_with_overrides` against a GROUP BY over
`outreach.company_hub_status` alone (budget ≤ 1.5 × floor), and a single-company
lookup in that view.

Both the figure and the floor are server-side execution times taken from
`EXPLAIN (ANALYZE, TIMING OFF)` (every row is produced and projected, none is
shipped to the client), best of a few warm runs, on the same seeded data
(pyctl.seed) in the same run.
"""
from __future__ import annotations

import json
import time

from pyctl.bench import benchmark, ratio
from pyctl.seed import DEFAULT_SEED, company_id

FULL_SCAN_MAX_RATIO = 1.5
#: a single-company lookup must stay an index lookup: well under this
LOOKUP_BUDGET_MS = 5.0

FLOOR_SQL = ("SELECT chs.company_unique_id, count(*) AS hubs, count(*) FILTER (WHERE chs.status = 'PASS') AS passed"
             " FROM outreach.company_hub_status chs GROUP BY chs.company_unique_id")
FIGURE_SQL = "SELECT * FROM outreach.vw_marketing_eligibility_with_overrides"
LOOKUP_SQL = "SELECT * FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = %s"

def execution_ms(conn, query: str, params=None) -> float:
    """Server-side execution time of `query` in ms (EXPLAIN ANALYZE, TIMING OFF)."""
    plan = conn.execute("EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + query, params).fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Execution Time"])


def best_ms(conn, query: str, params=None, runs: int = 3) -> float:
    return min(execution_ms(conn, query, params) for _ in range(runs))


def plan_text(conn, query: str, params=None) -> str:
    return "\n".join(r[0] for r in conn.execute("EXPLAIN " + query, params).fetchall())


def prepare(ctx, n: int) -> tuple[object, float]:
    """The seeded companies with the overrides, vacuumed and analysed (the
    run builds them once: the scan and the lookup get copies of the same data)."""
    t0 = time.perf_counter()
    ctx.seed(n, overrides=True, vacuumed=True)
    conn = ctx.connect(autocommit=True)
    conn.execute("VACUUM ANALYZE")
    return conn, time.perf_counter() - t0


@benchmark("hubs_eligibility_scan", f"≤ {FULL_SCAN_MAX_RATIO:g} × floor")
def bench_full_scan(ctx):
    """Full scan of the authoritative view vs. a GROUP BY over company_hub_status alone."""
    n = 50_000 if ctx.quick else 1_000_000
    conn, build_s = prepare(ctx, n)
    # warm both once, then best of three
    execution_ms(conn, FLOOR_SQL)
    execution_ms(conn, FIGURE_SQL)
    floor = best_ms(conn, FLOOR_SQL)
    figure = best_ms(conn, FIGURE_SQL)
    rows = conn.execute("SELECT count(*) FROM outreach.vw_marketing_eligibility_with_overrides").fetchone()[0]
    r = ratio(figure, floor)
    return dict(figure=figure, floor=floor, ratio=r, unit="ms",
                ok=r is not None and r <= FULL_SCAN_MAX_RATIO and rows == n,
                note=f"{n:,} companies ({rows:,} view rows), data built in {build_s:.1f}s")


@benchmark("hubs_eligibility_lookup", f"≤ {LOOKUP_BUDGET_MS:g} ms, index only")
def bench_lookup(ctx):
    """One company's row of the authoritative view (and of vw_sovereign_completion)."""
    n = 50_000 if ctx.quick else 1_000_000
    conn, build_s = prepare(ctx, n)
    ids = [company_id(DEFAULT_SEED, k) for k in (3, n // 2, n - 1, 1)]
    times = [best_ms(conn, LOOKUP_SQL, (cid,), runs=5) for cid in ids]
    plan = plan_text(conn, LOOKUP_SQL, (ids[0],))
    seq_scans = [ln.strip() for ln in plan.splitlines() if "Seq Scan" in ln and "hub_registry" not in ln]
    figure = max(times)
    note = f"{n:,} companies; worst of {len(ids)} lookups (best of 5 each)"
    if seq_scans:
        note += "; sequential scans in the plan: " + "; ".join(seq_scans)
    return dict(figure=figure, floor=None, ratio=None, unit="ms",
                ok=figure <= LOOKUP_BUDGET_MS and not seq_scans, note=note)
