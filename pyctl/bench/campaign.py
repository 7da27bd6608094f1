"""Campaign orchestration benchmark (docs/reference/gate.md): planning a campaign
over 1M companies with p_limit 10,000, against a full scan of the
authoritative view measured in the same run.

outreach.fn_plan_campaign_sends has to read every company's eligibility (the
view has no index on effective_tier or bit_score), so one view scan is the
floor it is compared with; on top of that it joins the targets, aggregates the
campaign's send_log ONCE (never once per company) and keeps the top p_limit.

The plan shape is taken from the function's own nested statement with
auto_explain (log_level notice, so the JSON plan comes back to this client):
every plan node that reads outreach.send_log must run exactly once (loops 1).

Data: seeded companies (pyctl.seed), then a 3-step campaign and its send
history (pyctl.seed.campaign_history): about 12 % of the eligible companies
got step 1 (4-9 days ago), a third of those step 2 (1-3 days ago), some step
3. Their gate verdicts are written as history (passing); the send_log guard
still checks each send.
"""
from __future__ import annotations

import json
import time

from pyctl.bench import benchmark, ratio
from pyctl.bench.hubs import execution_ms
from pyctl.seed import DEFAULT_SEED, campaign_history

PLAN_MAX_RATIO = 1.1
RUNS = 3
LIMIT = 10_000
CAMPAIGN = "BENCH-CMP"

FLOOR_SQL = "SELECT * FROM outreach.vw_marketing_eligibility_with_overrides"
FIGURE_SQL = "SELECT * FROM outreach.fn_plan_campaign_sends(%s, %s)"

#: the campaign's three steps, in send order
STEPS = [{"template_id": "intro", "delay_days": 0}, {"template_id": "nudge", "delay_days": 3},
         {"template_id": "last", "delay_days": 7}]


def build_history(conn) -> int:
    """The campaign and its send history; returns the number of sends."""
    conn.execute("SELECT outreach.fn_create_campaign(%s, 'Bench campaign', 'EMAIL', %s::jsonb, 1, 'active')",
                 (CAMPAIGN, json.dumps(STEPS)))
    return campaign_history(conn, DEFAULT_SEED, CAMPAIGN)


def nested_plans(conn, query: str, params) -> list[dict]:
    """The JSON plans auto_explain reports (as NOTICEs) for the statements that
    `query` runs, nested ones included."""
    plans: list[dict] = []

    def on_notice(diag) -> None:
        msg = diag.message_primary or ""
        start = msg.find("{")
        if "plan:" in msg and start >= 0:
            try:
                plans.append(json.loads(msg[start:]))
            except ValueError:
                pass

    conn.execute("LOAD 'auto_explain'")
    for setting, value in (("auto_explain.log_min_duration", "0"), ("auto_explain.log_analyze", "on"),
                           ("auto_explain.log_timing", "off"), ("auto_explain.log_nested_statements", "on"),
                           ("auto_explain.log_format", "json"), ("auto_explain.log_level", "notice")):
        conn.execute("SELECT set_config(%s, %s, false)", (setting, value))
    conn.add_notice_handler(on_notice)
    try:
        conn.execute(query, params).fetchall()
    finally:
        conn.remove_notice_handler(on_notice)
        conn.execute("SELECT set_config('auto_explain.log_min_duration', '-1', false)")
    return plans


def walk(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from walk(child)


def plan_shape(plans: list[dict]) -> tuple[list[str], list[dict]]:
    """(node types of the planner's own query, the nodes reading send_log)."""
    for p in plans:
        q = p.get("Query Text", "")
        if "send_log" in q and "vw_marketing_eligibility_with_overrides" in q:
            nodes = list(walk(p["Plan"]))
            shape = [n["Node Type"] + (f" on {n['Relation Name']}" if "Relation Name" in n else "")
                     + (f" using {n['Index Name']}" if "Index Name" in n else "") for n in nodes]
            send_log = [n for n in nodes if n.get("Relation Name") == "send_log"]
            return shape, send_log
    return [], []


@benchmark("campaign_plan", f"≤ {PLAN_MAX_RATIO:g} × floor, send_log read once")
def bench_plan(ctx):
    """fn_plan_campaign_sends(p_limit 10,000) over 1M companies vs. one full
    scan of the authoritative view; send_log must be read in one pass."""
    n = 50_000 if ctx.quick else 1_000_000
    limit = 1_000 if ctx.quick else LIMIT
    t0 = time.perf_counter()
    ctx.seed(n, overrides=True, vacuumed=True)  # the hubs benchmarks' data (built once per run)
    conn = ctx.connect(autocommit=True)
    sends = build_history(conn)
    conn.execute("VACUUM ANALYZE")
    build_s = time.perf_counter() - t0

    # warm both once, then best of RUNS, the two interleaved (a busy machine
    # slows both alike)
    execution_ms(conn, FLOOR_SQL)
    execution_ms(conn, FIGURE_SQL, (CAMPAIGN, limit))
    floors, figures = [], []
    for _ in range(RUNS):
        floors.append(execution_ms(conn, FLOOR_SQL))
        figures.append(execution_ms(conn, FIGURE_SQL, (CAMPAIGN, limit)))
    floor, figure = min(floors), min(figures)
    planned = conn.execute("SELECT count(*), count(*) FILTER (WHERE step_number > 1)"
                           " FROM outreach.fn_plan_campaign_sends(%s, %s)", (CAMPAIGN, limit)).fetchone()

    shape, send_log_nodes = plan_shape(nested_plans(conn, "SELECT * FROM outreach.fn_plan_campaign_sends(%s, %s)",
                                                    (CAMPAIGN, limit)))
    loops = [node.get("Actual Loops") for node in send_log_nodes]
    once = bool(send_log_nodes) and all(lp == 1 for lp in loops)
    r = ratio(figure, floor)
    note = (f"{n:,} companies, {sends:,} sends in the campaign, {planned[0]:,} planned ({planned[1]:,} later steps),"
            f" data built in {build_s:.1f}s; send_log read by {len(send_log_nodes)} node(s), loops {loops};"
            f" plan: {' > '.join(shape[:12])}")
    return dict(figure=figure, floor=floor, ratio=r, unit="ms",
                ok=r is not None and r <= PLAN_MAX_RATIO and once and planned[0] == limit,
                note=note, plan_shape=shape, send_log_loops=loops)
