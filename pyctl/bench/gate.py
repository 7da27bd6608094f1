"""Gate benchmark (SPEC §15): safety-gate checks per second, with their audit
row, 4 clients, 100k companies, against a pgbench-style floor measured in the
same run: one indexed SELECT plus one INSERT on plain tables, in one statement
(one round trip and one transaction, as a gate call is).

The companies are built set-based in the bench's scratch database, as the
superuser: CL rows with their outreach_id, spine rows, Company Targets; hub
statuses and BIT scores are written as outreach_owner under shq.fn_sanction
(the sovereign guard's own mechanism; nothing else in the project does this
outside a sanctioned function). A few thousand overrides go through
outreach.set_marketing_override itself.
"""
from __future__ import annotations

import random

from pyctl.bench import benchmark, ratio

GATE_MIN_RATIO = 0.5
CLIENTS = 4
CAMPAIGN = "BENCH-GATE-EMAIL"

#: the data set: ~80 % marketing ready (a third of those enrichment complete),
#: 10 % in progress, 5 % with a failed required hub, 2 % CL-ineligible,
#: 2 % BLOCK_OUTREACH, 2 % BLOCK_EMAIL, 1 % FORCE_TIER 0, half with a BIT score
BUILD_SQL = [
    """
    INSERT INTO cl.company_identity (company_unique_id, company_name, domain, eligibility_status, outreach_id)
    SELECT 'GB-' || i, 'Gate bench ' || i, 'gb' || i || '.test',
           CASE WHEN i %% 50 = 0 THEN 'INELIGIBLE' ELSE 'ELIGIBLE' END, gen_random_uuid()
      FROM generate_series(1, %(n)s) AS i
    """,
    """
    INSERT INTO outreach.outreach (outreach_id, company_unique_id)
    SELECT ci.outreach_id, ci.company_unique_id FROM cl.company_identity ci WHERE ci.company_unique_id LIKE 'GB-%%'
    """,
    """
    INSERT INTO outreach.company_target (target_id, outreach_id, company_unique_id, execution_status)
    SELECT 'TGT-' || left(o.company_unique_id, 8) || '-' || nextval('outreach.company_target_seq'),
           o.outreach_id, o.company_unique_id, 'ready'
      FROM outreach.outreach o WHERE o.company_unique_id LIKE 'GB-%%'
    """,
    "SET ROLE outreach_owner",
    "SELECT shq.fn_sanction('outreach.company_hub_status,outreach.bit_scores')",
    """
    INSERT INTO outreach.company_hub_status (company_unique_id, hub_id, status, status_reason)
    SELECT o.company_unique_id, h.hub_id,
           CASE WHEN h.is_required THEN
                    CASE WHEN n %% 20 = 1 AND h.hub_id = 'talent-flow' THEN 'FAIL'
                         WHEN n %% 10 = 2 AND h.hub_id = 'dol-filings' THEN 'IN_PROGRESS'
                         ELSE 'PASS' END
                WHEN n %% 3 = 0 THEN 'PASS'
                ELSE 'IN_PROGRESS' END,
           'gate bench'
      FROM (SELECT o.*, substr(o.company_unique_id, 4)::int AS n
              FROM outreach.outreach o WHERE o.company_unique_id LIKE 'GB-%%') o
     CROSS JOIN outreach.hub_registry h
    """,
    """
    INSERT INTO outreach.bit_scores (outreach_id, company_unique_id, score, score_tier, signal_count, last_signal_at, as_of)
    SELECT o.outreach_id, o.company_unique_id, s.score,
           CASE WHEN s.score < 25 THEN 'COLD' WHEN s.score < 50 THEN 'WARM' WHEN s.score < 75 THEN 'HOT' ELSE 'BURNING' END,
           1, now(), now()
      FROM outreach.outreach o
     CROSS JOIN LATERAL (SELECT (abs(hashtext(o.company_unique_id)) %% 100)::numeric AS score) s
     WHERE o.company_unique_id LIKE 'GB-%%' AND abs(hashtext(o.company_unique_id)) %% 2 = 0
    """,
    "SELECT shq.fn_sanction('')",
    "RESET ROLE",
    """
    SELECT count(outreach.set_marketing_override(
               'GB-' || i,
               CASE WHEN i %% 100 < 2 THEN 'BLOCK_OUTREACH' WHEN i %% 100 < 4 THEN 'BLOCK_EMAIL' ELSE 'FORCE_TIER' END,
               'gate bench', 'pyctl bench',
               CASE WHEN i %% 100 >= 4 THEN 0 END))
      FROM generate_series(1, %(n)s) AS i
     WHERE i %% 100 < 5
    """,
    f"""
    INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status)
    VALUES ('{CAMPAIGN}', 'Gate bench (email, tier >= 1)', 'EMAIL', 1, 'active')
    """,
]

FLOOR_SQL = [
    """
    CREATE TABLE public.bench_gate_company (
        company_unique_id text PRIMARY KEY,
        effective_tier    integer NOT NULL,
        blocked           boolean NOT NULL)
    """,
    """
    INSERT INTO public.bench_gate_company
    SELECT 'GB-' || i, i %% 4, i %% 50 = 0 FROM generate_series(1, %(n)s) AS i
    """,
    """
    CREATE TABLE public.bench_gate_audit (
        audit_id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        company_unique_id text,
        correlation_id    text,
        effective_tier    integer,
        was_blocked       boolean NOT NULL,
        attempt_timestamp timestamptz NOT NULL DEFAULT clock_timestamp())
    """,
]

#: the floor's transaction: one indexed SELECT + one INSERT, one statement
FLOOR_STEP = """
    INSERT INTO public.bench_gate_audit (company_unique_id, correlation_id, effective_tier, was_blocked)
    SELECT c.company_unique_id, %s, c.effective_tier, c.blocked OR c.effective_tier < 1
      FROM public.bench_gate_company c WHERE c.company_unique_id = %s
    RETURNING audit_id, NOT was_blocked
"""
GATE_STEP = "SELECT * FROM outreach.fn_safety_gate_check(%s, %s, %s, 'EMAIL', false)"


def build_companies(conn, n: int) -> None:
    """The gate bench's data set of `n` companies, on an autocommit superuser
    connection to a migrated scratch database (one transaction)."""
    with conn.transaction():
        for stmt in BUILD_SQL:
            conn.execute(stmt, {"n": n})


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
    seconds = 3.0 if ctx.quick else 10.0
    with ctx.connect() as conn:
        build_companies(conn, companies)
        for stmt in FLOOR_SQL:
            conn.execute(stmt, {"n": companies})
        conn.execute("VACUUM ANALYZE")
        plan = plan_of_one_company_lookup(conn, "GB-1")
    big = ("company_identity", "outreach o", "company_target", "company_hub_status", "manual_overrides", "bit_scores")
    seq_scan = [ln.strip() for ln in plan.splitlines() if "Seq Scan on" in ln and any(f"on {t}" in ln for t in big)]

    def setup(conn, k):
        return random.Random(k)

    def gate(conn, rnd, i):
        cid = f"GB-{rnd.randint(1, companies)}"
        conn.execute(GATE_STEP, (cid, CAMPAIGN, f"bench-{i}")).fetchone()

    def floor_step(conn, rnd, i):
        cid = f"GB-{rnd.randint(1, companies)}"
        conn.execute(FLOOR_STEP, (f"bench-{i}", cid)).fetchone()

    # two rounds in opposite order (floor, gate, gate, floor), so that a
    # machine getting busier or quieter during the run biases neither side
    runs = {"floor": [], "gate": []}
    for order in (("floor", "gate"), ("gate", "floor")):
        for name in order:
            runs[name].append(ctx.run_clients(CLIENTS, seconds / 2, floor_step if name == "floor" else gate,
                                              setup=setup))

    def combined(rs):
        tx, secs = sum(r["tx"] for r in rs), sum(r["seconds"] for r in rs)
        return {"tx": tx, "seconds": secs, "tps": tx / secs if secs else 0.0,
                "first_error": next((r["first_error"] for r in rs if r["first_error"]), None)}

    floor, figure = combined(runs["floor"]), combined(runs["gate"])
    errors = figure["first_error"] or floor["first_error"]
    r = ratio(figure["tps"], floor["tps"])
    with ctx.connect() as conn:
        audited = conn.execute("SELECT count(*) FROM outreach.send_attempt_audit").fetchone()[0]
        passed = conn.execute("SELECT count(*) FROM outreach.send_attempt_audit WHERE NOT was_blocked").fetchone()[0]
    note = (f"{figure['tx']} gate checks in {figure['seconds']:.1f}s over {companies} companies, "
            f"{audited} audit rows ({passed} passing)")
    if audited != figure["tx"]:
        note += f"; MISMATCH: {figure['tx']} calls but {audited} audit rows"
    if seq_scan:
        note += "; the view lookup of one company scans: " + "; ".join(seq_scan)
    if errors:
        note = f"error: {errors}"
    return dict(figure=figure["tps"], floor=floor["tps"], ratio=r, unit="checks/s",
                ok=not errors and audited == figure["tx"] and r is not None and r >= GATE_MIN_RATIO,
                note=note, plan=plan)
