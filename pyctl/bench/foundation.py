"""Foundation benchmarks: `pyctl migrate` on an empty database (docs/benchmarks.md) and
the minting of outreach ids against a plain indexed INSERT."""
from __future__ import annotations

from pyctl.bench import benchmark, ratio
from pyctl.migrate import migrate
from pyctl.seed import unbound_companies

MIGRATE_BUDGET_S = 10.0
#: fn_mint_outreach_id locks the CL row, inserts the spine row and writes the
#: id back to CL (through its write-once trigger): about three single-row
#: writes where the floor does one
MINT_MIN_RATIO = 0.25


@benchmark("migrate", f"≤ {MIGRATE_BUDGET_S:g} s")
def bench_migrate(ctx):
    """Seconds `pyctl migrate` takes on an empty database."""
    dsn = ctx.scratch_database(migrated=False)
    seconds = ctx.timed(lambda: migrate(dsn, ctx.root))
    return dict(figure=seconds, floor=None, ratio=None, unit="s", ok=seconds <= MIGRATE_BUDGET_S)


@benchmark("mint", f"≥ {MINT_MIN_RATIO:g} × floor (4 clients)")
def bench_mint(ctx):
    """outreach.fn_mint_outreach_id calls/s, 4 clients, each on companies not
    yet minted, vs. single-row INSERTs into an indexed table, same run."""
    clients = 4
    seconds = 3.0 if ctx.quick else 10.0
    companies = 40_000 if ctx.quick else 150_000
    per_client = companies // clients
    with ctx.connect() as conn:
        unbound_companies(conn, companies, "BENCH-")
    ctx.execute("CREATE TABLE public.bench_floor (id bigint PRIMARY KEY, k text NOT NULL UNIQUE,"
                " created_at timestamptz NOT NULL DEFAULT now())")
    ctx.execute("VACUUM ANALYZE")

    def mint(conn, k, i):
        if i >= per_client:
            return False
        conn.execute("SELECT outreach.fn_mint_outreach_id(%s)", (f"BENCH-{k + 1 + i * clients}",))

    def insert(conn, k, i):
        n = k + 1 + i * clients
        conn.execute("INSERT INTO public.bench_floor (id, k) VALUES (%s, %s)", (n, f"BENCH-{n}"))

    def client_no(conn, k):
        return k

    floor = ctx.run_clients(clients, seconds, insert, setup=client_no)
    figure = ctx.run_clients(clients, seconds, mint, setup=client_no)
    errors = figure["first_error"] or floor["first_error"]
    r = ratio(figure["tps"], floor["tps"])
    note = f"{figure['tx']} ids minted in {figure['seconds']:.1f}s"
    if figure["tx"] >= per_client * clients:
        note += " (ran out of companies: figure understated)"
    if errors:
        note = f"error: {errors}"
    return dict(figure=figure["tps"], floor=floor["tps"], ratio=r, unit="tx/s",
                ok=not errors and r is not None and r >= MINT_MIN_RATIO, note=note)
