"""Operations benchmark (docs/benchmarks.md): `pyctl seed --companies 1000000` in at
most 90 s. The full run seeds 1,000,000 companies into the migrated scratch
database; --quick seeds 50,000 and extrapolates linearly (stated in the note)."""
from __future__ import annotations

from pyctl.bench import benchmark
from pyctl.seed import DEFAULT_SEED, seed

SEED_BUDGET_S = 90.0
FULL_COMPANIES = 1_000_000
QUICK_COMPANIES = 50_000


@benchmark("seed", f"≤ {SEED_BUDGET_S:g} s for {FULL_COMPANIES:,} companies")
def bench_seed(ctx):
    """Seconds `pyctl seed` takes for 1,000,000 companies (quick: 50,000, extrapolated)."""
    n = QUICK_COMPANIES if ctx.quick else FULL_COMPANIES
    result = seed(ctx.dsn, n, DEFAULT_SEED)
    seconds = result.seconds
    figure = seconds * FULL_COMPANIES / n
    slowest = sorted(result.phases.items(), key=lambda kv: -kv[1])[:3]
    note = (f"{n:,} companies in {seconds:.1f}s ({n / seconds:,.0f}/s)"
            + ("; figure extrapolated to 1,000,000" if n != FULL_COMPANIES else "")
            + "; slowest: " + ", ".join(f"{k} {v:.1f}s" for k, v in slowest))
    if result.cpu_seconds is not None:
        note += (f"; server CPU {result.cpu_seconds:.0f}s"
                 f" (~{result.cpu_seconds * FULL_COMPANIES / n / 2:.0f}s on 2 idle cores at 1,000,000)")
    return dict(figure=figure, floor=None, ratio=None, unit="s", ok=figure <= SEED_BUDGET_S, note=note,
                phases={k: round(v, 2) for k, v in result.phases.items()}, companies=n,
                server_cpu_seconds=result.cpu_seconds)
