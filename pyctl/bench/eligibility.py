"""Write paths that keep the maintained eligibility row (docs/maintained-eligibility.md):
each one's cost with the maintenance over its cost without, same data, same run.

One benchmark per write path: hub status (`fn_set_hub_status`), override set
and remove (`set_marketing_override` / `remove_marketing_override`; their
table has no maintenance trigger, overrides are read at query time, so this
shows the ratio of a path that maintains nothing), CL registration
(`cl.fn_register_company` and the Company Target that mints the spine row),
target status (`fn_set_outreach_status`) and people (a verified person seated
in a slot). Each write is its own transaction (autocommit, one client), on
companies of the data builder; a run alternates rounds without and with the
maintenance and keeps the best round of each (the machine is shared). "Without"
disables the maintenance triggers (`trg_*_500_eligibility_*`) of the scratch
database, nothing else; the DDL guard lets the bench do that as a migration
would. The outbox's triggers (`trg_*_800_outbox*`) are disabled in both
rounds: its TIER_CHANGED detection reads the maintained row, so with the
maintenance off it sees no tier move and writes no event, and the ratio would
charge the outbox's events to the maintenance (the outbox has its own
benchmarks). Budget: ≤ 1.5 × for these single-row writes. `eligibility_bulk` reports
(no budget) one UPDATE of 10,000 slots, maintenance included: one rebuild per
statement.
"""
from __future__ import annotations

import time
import uuid

from pyctl.bench import benchmark, ratio
from pyctl.seed import DEFAULT_SEED, company_id

SINGLE_ROW_MAX_RATIO = 1.5
ROUNDS = 3

TRIGGERS_SQL = """
SELECT t.tgrelid::regclass::text, t.tgname
  FROM pg_trigger t
 WHERE t.tgname LIKE %s AND NOT t.tgisinternal
 ORDER BY 1, 2"""
#: the maintenance triggers, and the outbox's (left out of both sides of each ratio)
MAINTENANCE_TRIGGERS = "trg\\_%\\_500\\_eligibility\\_%"
OUTBOX_TRIGGERS = "trg\\_%\\_800\\_outbox%"


def set_triggers(conn, pattern: str, enabled: bool) -> int:
    """Enable or disable every trigger whose name matches `pattern` (a migration's right: shq.migrating)."""
    with conn.transaction():
        conn.execute("SELECT set_config('shq.migrating', 'on', true)")
        triggers = conn.execute(TRIGGERS_SQL, (pattern,)).fetchall()
        for table, name in triggers:
            conn.execute(f"ALTER TABLE {table} {'ENABLE' if enabled else 'DISABLE'} TRIGGER {name}")
    return len(triggers)


def set_maintenance(conn, enabled: bool) -> int:
    """Enable or disable every maintenance trigger."""
    return set_triggers(conn, MAINTENANCE_TRIGGERS, enabled)


def _companies(ctx, n_companies: int, count: int, offset: int) -> list[str]:
    step = max(1, n_companies // (count + 1))
    return [company_id(DEFAULT_SEED, 1 + (offset + k * step) % n_companies) for k in range(count)]


def _timed_writes(conn, writes: list) -> float:
    t0 = time.perf_counter()
    for stmt, params in writes:
        conn.execute(stmt, params)
    return time.perf_counter() - t0


def _measure(ctx, make_writes) -> dict:
    """Rounds alternating without / with maintenance; the best of each.
    make_writes(round, maintained) -> [(sql, params)], fresh rows each time."""
    n = 20_000 if ctx.quick else 100_000
    writes_per_round = 200 if ctx.quick else 1_000
    if not getattr(ctx, "_eligibility_seeded", False):
        ctx.seed(n)
        ctx._eligibility_seeded = True
    conn = ctx.connect(autocommit=True)
    conn.execute("VACUUM ANALYZE")
    without, with_ = [], []
    set_triggers(conn, OUTBOX_TRIGGERS, False)
    try:
        for r in range(ROUNDS):
            for maintained, times in ((False, without), (True, with_)):
                set_maintenance(conn, maintained)
                if maintained:  # repair what the writes without maintenance left behind (not timed)
                    conn.execute("SELECT outreach.fn_rebuild_company_eligibility()")
                writes = make_writes(conn, n, writes_per_round, r, maintained)
                times.append(_timed_writes(conn, writes) / len(writes))
    finally:
        set_maintenance(conn, True)
        set_triggers(conn, OUTBOX_TRIGGERS, True)
    drift = conn.execute("SELECT count(*) FROM outreach.fn_company_eligibility_drift()").fetchone()[0]
    return dict(without=without, with_=with_, drift=drift, writes=writes_per_round, companies=n, conn=conn)


def _result(m: dict, what: str, budget: float | None = SINGLE_ROW_MAX_RATIO) -> dict:
    figure, floor = min(m["with_"]) * 1000, min(m["without"]) * 1000
    r = ratio(figure, floor)
    note = (f"{what}: {m['writes']:,} writes per round, one transaction each, {m['companies']:,} companies;"
            f" ms per write with maintenance {', '.join(f'{x * 1000:.3f}' for x in m['with_'])},"
            f" without {', '.join(f'{x * 1000:.3f}' for x in m['without'])}; outbox triggers off in both;"
            f" drift after: {m['drift']}")
    return dict(figure=figure, floor=floor, ratio=r, unit="ms/write",
                ok=m["drift"] == 0 and (budget is None or (r is not None and r <= budget)), note=note)


@benchmark("eligibility_hub_status", f"≤ {SINGLE_ROW_MAX_RATIO:g} × without maintenance")
def bench_hub_status(ctx):
    """fn_set_hub_status of a required hub, flipping BLOCKED / IN_PROGRESS (no DONE check needed)."""
    def writes(conn, n, count, r, maintained):
        status = "BLOCKED" if (2 * r + maintained) % 2 == 0 else "IN_PROGRESS"
        return [("SELECT outreach.fn_set_hub_status(%s, 'dol-filings', %s, 'bench')", (cid, status))
                for cid in _companies(ctx, n, count, 2 * r + maintained)]
    return _result(_measure(ctx, writes), "fn_set_hub_status")


@benchmark("eligibility_override_set", f"≤ {SINGLE_ROW_MAX_RATIO:g} × without maintenance")
def bench_override_set(ctx):
    """set_marketing_override (BLOCK_PHONE): no maintenance trigger on its table."""
    def writes(conn, n, count, r, maintained):
        return [("SELECT outreach.set_marketing_override(%s, 'BLOCK_PHONE', 'bench', 'bench')", (cid,))
                for cid in _companies(ctx, n, count, 1000 + 2 * r + maintained)]
    return _result(_measure(ctx, writes), "set_marketing_override")


@benchmark("eligibility_override_remove", f"≤ {SINGLE_ROW_MAX_RATIO:g} × without maintenance")
def bench_override_remove(ctx):
    """remove_marketing_override of an override set beforehand (not timed)."""
    def writes(conn, n, count, r, maintained):
        cids = _companies(ctx, n, count, 3000 + 2 * r + maintained)
        conn.execute("SELECT count(outreach.set_marketing_override(c, 'BLOCK_PHONE', 'bench', 'bench'))"
                     "  FROM unnest(%s::text[]) c", (cids,))
        return [("SELECT outreach.remove_marketing_override(%s, 'BLOCK_PHONE', 'bench', 'bench')", (cid,))
                for cid in cids]
    return _result(_measure(ctx, writes), "remove_marketing_override")


@benchmark("eligibility_cl_registration", f"≤ {SINGLE_ROW_MAX_RATIO:g} × without maintenance")
def bench_cl_registration(ctx):
    """cl.fn_register_company and fn_create_company_target (mints the spine row) of a new company."""
    def writes(conn, n, count, r, maintained):
        tag = uuid.uuid4().hex[:6].upper()
        return [("SELECT cl.fn_register_company(c, c, lower(c) || '.example.com'),"
                 "       outreach.fn_create_company_target(c) FROM (SELECT %s::text AS c) x", (f"BENCH-{tag}-{k}",))
                for k in range(count)]
    return _result(_measure(ctx, writes), "register + Company Target")


@benchmark("eligibility_target_status", f"≤ {SINGLE_ROW_MAX_RATIO:g} × without maintenance")
def bench_target_status(ctx):
    """fn_set_outreach_status, flipping active / paused."""
    def writes(conn, n, count, r, maintained):
        status = "active" if (2 * r + maintained) % 2 == 0 else "paused"
        return [("SELECT outreach.fn_set_outreach_status(t.target_id, %s, 'bench')"
                 "  FROM outreach.company_target t WHERE t.company_unique_id = %s", (status, cid))
                for cid in _companies(ctx, n, count, 5000 + 2 * r + maintained)]
    return _result(_measure(ctx, writes), "fn_set_outreach_status")


@benchmark("eligibility_people", f"≤ {SINGLE_ROW_MAX_RATIO:g} × without maintenance")
def bench_people(ctx):
    """One verified person seated in a company's first slot."""
    def writes(conn, n, count, r, maintained):
        return [("INSERT INTO people.people_master (slot_id, target_id, outreach_id, company_unique_id, full_name,"
                 " email, email_verified) SELECT s.slot_id, s.target_id, s.outreach_id, s.company_unique_id,"
                 " 'Bench', 'bench@example.com', true FROM people.company_slot s"
                 " WHERE s.company_unique_id = %s ORDER BY s.slot_id LIMIT 1", (cid,))
                for cid in _companies(ctx, n, count, 7000 + 2 * r + maintained)]
    return _result(_measure(ctx, writes), "people_master INSERT")


@benchmark("eligibility_bulk", "report (one statement, 10,000 rows)")
def bench_bulk(ctx):
    """One UPDATE of 10,000 slots' is_filled, with and without maintenance."""
    def writes(conn, n, count, r, maintained):
        lo = 1 + ((2 * r + maintained) * 10_000) % max(1, n - 10_000)
        return [("UPDATE people.company_slot SET is_filled = NOT is_filled WHERE company_unique_id"
                 " BETWEEN %s AND %s", (company_id(DEFAULT_SEED, lo), company_id(DEFAULT_SEED, lo + 9_999)))]
    return _result(_measure(ctx, writes), "10,000-company UPDATE of people.company_slot", budget=None)
