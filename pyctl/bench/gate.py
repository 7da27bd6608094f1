"""Gate benchmark (docs/benchmarks.md): safety-gate checks per second, with their audit
row, 4 clients, 100k companies, against a pgbench-style floor measured in the
same run: one indexed SELECT plus one INSERT on plain tables, in one statement
(one round trip and one transaction, as a gate call is). The floor's audit table
has the audit row's columns and types and its primary key, and the floor writes
a row of the same width (a blocked one carries a reason and a detail); what it
leaves out are the project's rules: the seal order (audit_seq), the metrics'
BRIN index, the check constraint, the guards, the kill-switch lock, the
overrides and the campaign.

The companies are seeded (pyctl.seed: every tier, overrides of every type,
BIT scores, all through the sanctioned writers); the checks go to the seed's
active EMAIL campaign (minimum tier 1).
"""
from __future__ import annotations

import random

from pyctl.bench import benchmark, ratio
from pyctl.seed import DEFAULT_SEED, campaign_ids, company_id

GATE_MIN_RATIO = 0.8
CLIENTS = 4
#: pairs of rounds (gate, floor), full run and --quick: the ratio is the median of the pairs' ratios
GATE_PAIRS, GATE_PAIRS_QUICK = 6, 2
CAMPAIGN = campaign_ids(DEFAULT_SEED)[0]
#: the correlation ids of the bench's own checks start with this
CORRELATION_PREFIX = "bench-"
#: ... and those of the untimed call each client makes before a round
WARMUP_PREFIX = "warmup-"

FLOOR_SQL = [
    """
    CREATE TABLE public.bench_gate_company (
        company_unique_id text PRIMARY KEY,
        effective_tier    integer NOT NULL,
        blocked           boolean NOT NULL)
    """,
    """
    INSERT INTO public.bench_gate_company
    SELECT ci.company_unique_id, abs(hashtext(ci.company_unique_id)) % 4, ci.eligibility_status = 'INELIGIBLE'
      FROM cl.company_identity ci
    """,
    """
    CREATE TABLE public.bench_gate_audit (
        audit_id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_unique_id text,
        campaign_id       text,
        correlation_id    text,
        channel           text,
        computed_tier     integer,
        effective_tier    integer,
        was_blocked       boolean NOT NULL,
        block_reason      text,
        is_dry_run        boolean NOT NULL DEFAULT false,
        attempt_timestamp timestamptz NOT NULL DEFAULT clock_timestamp(),
        block_detail      text)
    """,
]

#: the floor's transaction: one indexed SELECT + one INSERT, one statement
FLOOR_STEP = """
    INSERT INTO public.bench_gate_audit (company_unique_id, campaign_id, correlation_id, channel, computed_tier,
                                         effective_tier, was_blocked, block_reason, is_dry_run, block_detail)
    SELECT c.company_unique_id, %s, %s, 'EMAIL', c.effective_tier, c.effective_tier, b.blocked,
           CASE WHEN b.blocked THEN 'TIER_BELOW_CAMPAIGN_MINIMUM' END, false,
           CASE WHEN b.blocked THEN 'effective tier ' || c.effective_tier || ' is below the campaign minimum 1' END
      FROM public.bench_gate_company c
     CROSS JOIN LATERAL (SELECT c.blocked OR c.effective_tier < 1 AS blocked) b
     WHERE c.company_unique_id = %s
    RETURNING audit_id, NOT was_blocked
"""
GATE_STEP = "SELECT * FROM outreach.fn_safety_gate_check(%s, %s, %s, 'EMAIL', false)"


def random_company(rnd: random.Random, n: int) -> str:
    """One of the `n` seeded companies, at random."""
    return company_id(DEFAULT_SEED, rnd.randint(1, n))


def plan_of_one_company_lookup(conn, company: str) -> str:
    """EXPLAIN (ANALYZE) of the gate's view lookup for one company."""
    rows = conn.execute(
        "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)"
        " SELECT * FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = %s",
        (company,)).fetchall()
    return "\n".join(r[0] for r in rows)


@benchmark("gate", f"≥ {GATE_MIN_RATIO:g} × floor ({CLIENTS} clients)")
def bench_gate(ctx):
    """outreach.fn_safety_gate_check calls/s (each writing its audit row),
    4 clients on random companies of 100k, vs. the plain-table floor."""
    companies = 10_000 if ctx.quick else 100_000
    pairs, round_seconds = (GATE_PAIRS_QUICK, 1.5) if ctx.quick else (GATE_PAIRS, 2.0)
    ctx.seed(companies, overrides=True)
    with ctx.connect() as conn:
        for stmt in FLOOR_SQL:
            conn.execute(stmt)
        conn.execute("VACUUM ANALYZE")
        plan = plan_of_one_company_lookup(conn, company_id(DEFAULT_SEED, 1))
    big = ("company_identity", "outreach o", "company_target", "company_hub_status", "manual_overrides", "bit_scores")
    seq_scan = [ln.strip() for ln in plan.splitlines() if "Seq Scan on" in ln and any(f"on {t}" in ln for t in big)]

    def gate(conn, rnd, i, prefix=CORRELATION_PREFIX):
        conn.execute(GATE_STEP, (random_company(rnd, companies), CAMPAIGN, f"{prefix}{i}")).fetchone()

    def floor_step(conn, rnd, i, prefix=CORRELATION_PREFIX):
        conn.execute(FLOOR_STEP, (CAMPAIGN, f"{prefix}{i}", random_company(rnd, companies))).fetchone()

    def warmed(step):
        # each round's clients are new connections: one untimed call first (not
        # counted among the bench's audit rows), so that a new backend loading
        # its caches and compiling the path is not timed, on either side
        def setup(conn, k):
            rnd = random.Random(k)
            step(conn, rnd, k, prefix=WARMUP_PREFIX)
            return rnd
        return step, setup

    rounds = ctx.alternating_rounds(CLIENTS, pairs, round_seconds, warmed(gate), warmed(floor_step))
    floor, figure, r = rounds["floor"], rounds["figure"], rounds["ratio"]
    errors = figure["first_error"] or floor["first_error"]
    with ctx.connect() as conn:
        audited, passed = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE NOT was_blocked) FROM outreach.send_attempt_audit"
            " WHERE starts_with(correlation_id, %s)", (CORRELATION_PREFIX,)).fetchone()
    pair_ratios = rounds["pair_ratios"]
    note = (f"{figure['tx']} gate checks in {figure['seconds']:.1f}s over {companies} companies, "
            f"{audited} audit rows ({passed} passing); median of {pairs} pairs of {round_seconds:g} s rounds"
            f" ({pair_ratios[0]:.2f} to {pair_ratios[-1]:.2f})")
    if audited != figure["tx"]:
        note += f"; MISMATCH: {figure['tx']} calls but {audited} audit rows"
    if seq_scan:
        note += "; the view lookup of one company scans: " + "; ".join(seq_scan)
    if errors:
        note = f"error: {errors}"
    return dict(figure=figure["tps"], floor=floor["tps"], ratio=r, unit="checks/s",
                ok=not errors and audited == figure["tx"] and r is not None and r >= GATE_MIN_RATIO,
                note=note, plan=plan)
