"""Outbox benchmarks (docs/consuming-events.md).

outbox_claim_ack: claim + acknowledge throughput of 4 claimers of one
consumer over 1M events (outreach.fn_outbox_claim / fn_outbox_ack, batches
of 100, sequencing included), against a floor measured in the same run: the
same rows in a plain table, drained by 4 clients with the queue idiom
`DELETE ... WHERE id IN (SELECT ... LIMIT 100 FOR UPDATE SKIP LOCKED)
RETURNING *`. Budget: at least half the floor's rate.

outbox_send_cost: what the outbox costs the gate-and-send path: sends per
second of pyctl.outreach.execute_send (the gate's committed verdict, then the
send transaction and, in the message of its COMMIT, the wake-up; a provider
that returns at once), 4 clients on random eligible companies, with the outbox
triggers and that wake-up on and off (execute_send's wake=False), in short
rounds that alternate (on/off, then off/on, ...): the cost is the median of the pairs' costs, so that another load on the
machine during one round moves one pair, not the figure. Budget: at most 10 %
fewer sends per second with events than without.
"""
from __future__ import annotations

import random
import threading
import time

from pyctl.bench import benchmark, ratio
from pyctl.seed import DEFAULT_SEED, campaign_ids, outbox_backlog

CLAIM_MIN_RATIO = 0.5
SEND_MAX_COST = 0.10
CLIENTS = 4
#: outbox_send_cost: pairs of rounds (one with the outbox, one without), full run and --quick
SEND_PAIRS, SEND_PAIRS_QUICK = 6, 2
BATCH = 100
CONSUMER = "bench-consumer"

FLOOR_SQL = """
CREATE TABLE public.bench_outbox_floor AS
SELECT event_id AS id, destination, event_type, company_unique_id, payload, occurred_at
  FROM outreach.outbox_events;
ALTER TABLE public.bench_outbox_floor ADD PRIMARY KEY (id);
"""
FLOOR_STEP = """
DELETE FROM public.bench_outbox_floor
 WHERE id IN (SELECT f.id FROM public.bench_outbox_floor f ORDER BY f.id LIMIT %s FOR UPDATE SKIP LOCKED)
RETURNING id, event_type, company_unique_id, payload
"""
CLAIM_SQL = "SELECT event_id FROM outreach.fn_outbox_claim(%s, 'analytics', %s, '5 minutes')"
ACK_SQL = "SELECT outreach.fn_outbox_ack(%s, %s::bigint[])"

#: the outbox's triggers on the send path (ENABLE ORIGIN; switched off for the "without" rounds)
SEND_PATH_TRIGGERS = (("outreach.send_log", "trg_send_log_800_outbox"),
                      ("outreach.company_target", "trg_company_target_800_outbox"),
                      ("outreach.outbox_events", "trg_outbox_events_800_notify"))


def _drain(ctx, step, expected: int) -> tuple[float, int, str | None]:
    """CLIENTS threads run step(conn) until `expected` rows came out in all
    (an empty step waits a moment: another client may be sequencing);
    (seconds, rows, first error)."""
    conns = [ctx.connect() for _ in range(CLIENTS)]
    total = [0] * CLIENTS
    errors: list[str] = []
    barrier = threading.Barrier(CLIENTS + 1)
    deadline = [0.0]

    def client(k: int) -> None:
        barrier.wait()
        try:
            while sum(total) < expected and not errors and time.perf_counter() < deadline[0]:
                n = step(conns[k])
                if n == 0:
                    time.sleep(0.005)
                total[k] += n
        except Exception as e:  # noqa: BLE001 - reported in the result
            errors.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(CLIENTS)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + 600
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, sum(total), errors[0] if errors else None


@benchmark("outbox_claim_ack", f"≥ {CLAIM_MIN_RATIO:g} × floor ({CLIENTS} claimers)")
def bench_claim_ack(ctx):
    """fn_outbox_claim + fn_outbox_ack of 1M events by 4 claimers vs. a SKIP LOCKED DELETE ... RETURNING queue."""
    n = 50_000 if ctx.quick else 1_000_000
    with ctx.connect() as conn:
        t0 = time.perf_counter()
        outbox_backlog(conn, n)
        conn.execute(FLOOR_SQL)
        conn.execute("VACUUM ANALYZE outreach.outbox_events")
        conn.execute("VACUUM ANALYZE public.bench_outbox_floor")
        build = time.perf_counter() - t0

    # each statement its own transaction (autocommit), on both sides
    def floor_step(conn):
        return len(conn.execute(FLOOR_STEP, (BATCH,)).fetchall())

    def outbox_step(conn):
        ids = [r[0] for r in conn.execute(CLAIM_SQL, (CONSUMER, BATCH)).fetchall()]
        if ids:
            conn.execute(ACK_SQL, (CONSUMER, ids)).fetchone()
        return len(ids)

    floor_s, floor_rows, floor_err = _drain(ctx, floor_step, n)
    figure_s, figure_rows, figure_err = _drain(ctx, outbox_step, n)
    floor_rate, figure_rate = floor_rows / floor_s, figure_rows / figure_s
    r = ratio(figure_rate, floor_rate)
    with ctx.connect() as conn:
        left = conn.execute("SELECT backlog FROM outreach.fn_outbox_status() WHERE consumer = %s",
                            (CONSUMER,)).fetchone()
    note = (f"{n:,} events (built in {build:.1f}s); outbox {figure_rows:,} in {figure_s:.1f}s (sequencing"
            f" included), floor {floor_rows:,} in {floor_s:.1f}s; batches of {BATCH}; backlog left {left and left[0]}")
    errors = figure_err or floor_err
    if errors:
        note = f"error: {errors}"
    return dict(figure=figure_rate, floor=floor_rate, ratio=r, unit="events/s",
                ok=not errors and figure_rows == n == floor_rows and r is not None and r >= CLAIM_MIN_RATIO,
                note=note)


def _set_triggers(conn, enabled: bool) -> None:
    with conn.transaction():
        conn.execute("SELECT set_config('shq.migrating', 'on', true)")  # the DDL guard: a deliberate change
        for table, trigger in SEND_PATH_TRIGGERS:
            conn.execute(f"ALTER TABLE {table} {'ENABLE' if enabled else 'DISABLE'} TRIGGER {trigger}")


@benchmark("outbox_send_cost", f"≤ {SEND_MAX_COST:.0%} fewer sends/s with events ({CLIENTS} clients)")
def bench_send_cost(ctx):
    """execute_send (gate + send transaction) per second with the outbox's triggers on vs. off."""
    from pyctl.outreach import execute_send

    companies = 10_000 if ctx.quick else 100_000
    pairs, round_seconds = (SEND_PAIRS_QUICK, 1.5) if ctx.quick else (SEND_PAIRS, 2.0)
    ctx.seed(companies)
    campaign = campaign_ids(DEFAULT_SEED)[0]
    with ctx.connect() as conn:
        eligible = [r[0] for r in conn.execute(
            "SELECT e.company_unique_id FROM outreach.vw_marketing_eligibility_with_overrides e"
            "  JOIN outreach.campaigns c ON c.campaign_id = %s"
            " WHERE e.effective_tier >= c.min_tier AND NOT e.email_blocked AND e.outreach_status <> 'opted_out'"
            "   AND e.eligibility_status = 'ELIGIBLE'", (campaign,))]
        step1 = conn.execute("SELECT sequence_id FROM outreach.sequences WHERE campaign_id = %s AND step_number = 1",
                             (campaign,)).fetchone()[0]
        conn.execute("VACUUM ANALYZE")

    def sender(wake: bool):
        def send(conn, rnd, i):
            execute_send(conn, rnd.choice(eligible), campaign, step1, lambda **_kw: None,
                         correlation_id=f"bench-{i}", wake=wake)

        def setup(conn, k):
            # each round's clients are new connections: one untimed send first, so
            # that compiling the functions of the round's path is not timed
            rnd = random.Random(k)
            send(conn, rnd, -1)
            return rnd
        return send, setup

    # "without" is the send path with no outbox at all: its triggers off, and
    # no wake-up after the commit either (execute_send(..., wake=False))
    with ctx.connect() as admin:
        rounds = ctx.alternating_rounds(CLIENTS, pairs, round_seconds, sender(wake=True), sender(wake=False),
                                        before=lambda name: _set_triggers(admin, name == "figure"))
        _set_triggers(admin, True)
        events = admin.execute("SELECT count(*) FROM outreach.outbox_events WHERE destination = 'sender'"
                               " AND payload ->> 'correlation_id' LIKE 'bench-%%'").fetchone()[0]

    with_events, without, pair_ratios, r = (rounds["figure"], rounds["floor"], rounds["pair_ratios"],
                                            rounds["ratio"])
    cost = None if r is None else 1 - r
    errors = with_events["first_error"] or without["first_error"]
    note = (f"{with_events['tx']:,} sends with events, {without['tx']:,} without, over {len(eligible):,} eligible"
            f" companies; cost {cost:.1%} of the send rate (median of {pairs} pairs of {round_seconds:g} s rounds,"
            f" {1 - pair_ratios[-1]:.1%} to {1 - pair_ratios[0]:.1%})" if cost is not None else "no sends")
    if errors:
        note = f"error: {errors}"
    return dict(figure=with_events["tps"], floor=without["tps"], ratio=r,
                unit="sends/s", ok=not errors and cost is not None and cost <= SEND_MAX_COST and events > 0,
                note=note, pair_costs=[round(1 - x, 4) for x in pair_ratios])
