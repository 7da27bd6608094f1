"""Tamper-evidence benchmarks: sealing throughput (≥ 100k rows/s), and the
safety gate's throughput while the sealing job runs every few seconds, within
10 % of the same gate run without it (same data, same run, interleaved).

The gate runs on seeded companies, as in the gate benchmark; the rows to seal
come from pyctl.seed.audit_rows.
"""
from __future__ import annotations

import random
import threading
import time

from pyctl.bench import benchmark, ratio
from pyctl.bench.gate import CAMPAIGN, CLIENTS, GATE_STEP, random_company
from pyctl.dsn import connect
from pyctl.seed import audit_rows

SEAL_MIN_ROWS_PER_S = 100_000
GATE_MIN_RATIO = 0.9
#: the sealing job's period in the gate benchmark ("every few seconds")
SEAL_EVERY_S = 2.0

def seal_statuses(conn) -> dict[str, int]:
    """How many rows of shq.fn_verify_audit_seals() have each status."""
    return dict(conn.execute("SELECT status, count(*) FROM shq.fn_verify_audit_seals() GROUP BY 1").fetchall())


def every_table_verified(conn, statuses: dict[str, int]) -> bool:
    """Whether the verification found every sealed table OK: one OK per table
    that shq.fn_audit_sealed_tables() lists, and nothing else."""
    tables = conn.execute("SELECT count(*) FROM shq.fn_audit_sealed_tables()").fetchone()[0]
    return statuses == {"OK": tables}


@benchmark("seal", f"≥ {SEAL_MIN_ROWS_PER_S:,} rows/s")
def bench_seal(ctx):
    """shq.fn_seal_audit_tables() rows sealed per second over 1M unsealed
    rows (audit_log and send_attempt_audit, half each); verification speed
    reported alongside."""
    rows = 200_000 if ctx.quick else 1_000_000
    with ctx.connect() as conn:
        audit_rows(conn, rows // 2)
        conn.execute("VACUUM ANALYZE")
        t0 = time.perf_counter()
        seals = conn.execute("SELECT count(*), coalesce(sum(row_count), 0) FROM shq.fn_seal_audit_tables()").fetchone()
        seal_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        statuses = seal_statuses(conn)
        verify_s = time.perf_counter() - t0
        ok_status = every_table_verified(conn, statuses)
    sealed = int(seals[1])
    figure = sealed / seal_s if seal_s > 0 else 0.0
    note = (f"{sealed} rows in {seals[0]} seals in {seal_s:.2f}s; verified in {verify_s:.2f}s "
            f"({sealed / verify_s if verify_s > 0 else 0:,.0f} rows/s)")
    if sealed != rows:
        note += f"; MISMATCH: {rows} rows inserted, {sealed} sealed"
    if not ok_status:
        note += f"; verification statuses {sorted(statuses.items())}"
    return dict(figure=figure, floor=None, ratio=None, unit="rows/s",
                ok=sealed == rows and ok_status and figure >= SEAL_MIN_ROWS_PER_S, note=note,
                verify_rows_per_s=sealed / verify_s if verify_s > 0 else None)


@benchmark("gate_with_sealing", f"≥ {GATE_MIN_RATIO:g} × gate without sealing ({CLIENTS} clients)")
def bench_gate_with_sealing(ctx):
    """Gate checks/s with shq.fn_seal_audit_tables() running every
    SEAL_EVERY_S seconds, vs. the same gate without it: rounds alternate
    (without, with, ...) so that both see the same machine load."""
    companies = 10_000 if ctx.quick else 100_000
    rounds = 2 if ctx.quick else 4
    seconds = 3.0 if ctx.quick else 6.0
    ctx.seed(companies, overrides=True)
    with ctx.connect() as conn:
        conn.execute("VACUUM ANALYZE")

    def setup(conn, k):
        return random.Random(k)

    def gate(conn, rnd, i):
        conn.execute(GATE_STEP, (random_company(rnd, companies), CAMPAIGN, f"bench-{i}")).fetchone()

    seal_stats = {"runs": 0, "rows": 0, "max_s": 0.0, "errors": []}

    def sealer(stop: threading.Event) -> None:
        try:
            with connect(ctx.dsn, autocommit=True, application_name="pyctl bench sealer") as c:
                while not stop.wait(SEAL_EVERY_S):
                    t0 = time.perf_counter()
                    n = c.execute("SELECT coalesce(sum(row_count), 0) FROM shq.fn_seal_audit_tables()").fetchone()[0]
                    seal_stats["max_s"] = max(seal_stats["max_s"], time.perf_counter() - t0)
                    seal_stats["runs"] += 1
                    seal_stats["rows"] += int(n)
        except Exception as e:  # noqa: BLE001 - reported in the result
            seal_stats["errors"].append(str(e))

    without = {"tx": 0, "seconds": 0.0}
    with_ = {"tx": 0, "seconds": 0.0}
    errors = []

    def run(sealing: bool) -> None:
        stop = threading.Event()
        t = threading.Thread(target=sealer, args=(stop,), daemon=True)
        if sealing:
            t.start()
        r = ctx.run_clients(CLIENTS, seconds, gate, setup=setup)
        if sealing:
            stop.set()
            t.join()
        acc = with_ if sealing else without
        acc["tx"] += r["tx"]
        acc["seconds"] += r["seconds"]
        errors.append(r["first_error"])

    # without, with, with, without, ... so that a drift in the machine's load
    # weighs on both sides alike
    for k in range(rounds):
        for sealing in ((False, True) if k % 2 == 0 else (True, False)):
            run(sealing)
    floor = without["tx"] / without["seconds"] if without["seconds"] else 0.0
    figure = with_["tx"] / with_["seconds"] if with_["seconds"] else 0.0
    with ctx.connect() as conn:
        conn.execute("SELECT count(*) FROM shq.fn_seal_audit_tables()")
        unsealed = conn.execute(
            "SELECT count(*) FROM outreach.send_attempt_audit a WHERE a.audit_seq > coalesce("
            "(SELECT max(last_id) FROM shq.audit_seals WHERE table_name = 'outreach.send_attempt_audit'), 0)"
        ).fetchone()[0]
        statuses = seal_statuses(conn)
        verified = every_table_verified(conn, statuses)
    err = next((e for e in errors if e), None) or (seal_stats["errors"][0] if seal_stats["errors"] else None)
    r = ratio(figure, floor)
    note = (f"{with_['tx']} checks with sealing, {without['tx']} without, {rounds} rounds of each, "
            f"{seconds:g}s, alternating; {seal_stats['runs']} sealing runs sealed {seal_stats['rows']} rows "
            f"(slowest {seal_stats['max_s']:.2f}s); after catching up: {unsealed} unsealed, verify {statuses}")
    if err:
        note = f"error: {err}"
    return dict(figure=figure, floor=floor, ratio=r, unit="checks/s",
                ok=not err and unsealed == 0 and verified and seal_stats["runs"] > 0
                and r is not None and r >= GATE_MIN_RATIO, note=note)
