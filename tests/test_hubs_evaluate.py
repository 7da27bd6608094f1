"""Hubs (tiers and promotion gates), as a property over many companies: the set-based
`outreach.fn_evaluate_hub_statuses()` over 10,000 random companies gives
exactly what the per-company path gives (fn_evaluate_hub_statuses(id) for each
company, in a clone of the same data), what an independent Python model of the
promotion gates and the tier table predicts, and what the per-company tier
functions say; and the bulk evaluation's one statement reaches exactly what
the rounds it replaced reach, under deeper prerequisite graphs too."""
from __future__ import annotations

import random
import threading
from dataclasses import dataclass

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

REQUIRED = ["company-target", "dol-filings", "people-intelligence", "talent-flow"]
OPTIONAL = ["blog-content", "bit-engine"]
HUBS = REQUIRED + OPTIONAL
#: hub -> error table whose RETRY/PARKED rows block it (shq.governed_error_tables)
ERROR_TABLE = {"company-target": "outreach.company_target_errors", "dol-filings": "outreach.dol_errors",
               "people-intelligence": "people.people_errors"}
N_COMPANIES = 10_000


@dataclass
class Co:
    cid: str
    eligible: bool
    has_target: bool
    ct_done: bool
    dol: str            # none | no_ein | no_filing | done
    filled_slots: int
    talent: str         # none | unscanned | scanned
    blog: bool
    bit: bool
    verified_person: bool
    errors: dict        # table -> disposition
    preset: dict        # hub -> FAIL | BLOCKED


def make_companies(seed: int, n: int) -> list[Co]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        has_target = rnd.random() < 0.97
        slots = rnd.choice([0, 0, 1, 1, 1, 2]) if has_target else 0
        errors = {}
        for table in (*ERROR_TABLE.values(), "company.url_discovery_failures"):
            r = rnd.random()
            if r < 0.04:
                errors[table] = "RETRY"
            elif r < 0.07:
                errors[table] = "PARKED"
            elif r < 0.12:
                errors[table] = rnd.choice(["RESOLVED", "IGNORE", "ARCHIVED"])
        preset = {}
        if has_target:
            for hub in HUBS:
                r = rnd.random()
                if r < 0.03:
                    preset[hub] = "FAIL"
                elif r < 0.05:
                    preset[hub] = "BLOCKED"
        out.append(Co(
            cid=f"PROP-{seed}-{i:05d}", eligible=rnd.random() > 0.05, has_target=has_target,
            ct_done=has_target and rnd.random() < 0.75,
            dol=rnd.choice(["none", "no_ein", "no_filing", "done", "done", "done"]) if has_target else "none",
            filled_slots=slots, talent=rnd.choice(["none", "unscanned", "scanned", "scanned"]) if has_target else "none",
            blog=has_target and rnd.random() < 0.5, bit=rnd.random() < 0.5,
            verified_person=slots > 0 and rnd.random() < 0.6, errors=errors, preset=preset))
    return out


# ------------------------------------------------------------------ the model
def model_done(co: Co) -> dict[str, bool]:
    return {"company-target": co.ct_done, "dol-filings": co.dol == "done", "people-intelligence": co.filled_slots >= 1,
            "talent-flow": co.talent == "scanned", "blog-content": co.blog, "bit-engine": co.bit}


def model_statuses(co: Co) -> dict[str, str | None]:
    """Hub statuses after evaluation: the gates applied until nothing changes."""
    status: dict[str, str | None] = {h: None for h in HUBS}
    if co.has_target:
        for h in REQUIRED:
            status[h] = "IN_PROGRESS"
    status.update(co.preset)
    done = model_done(co)
    blocked = {h for h, t in ERROR_TABLE.items() if co.errors.get(t) in ("RETRY", "PARKED")}
    changed = True
    while changed:
        changed = False
        for h in HUBS:
            prereq_ok = h == "company-target" or status["company-target"] == "PASS"
            if status[h] != "PASS" and done[h] and h not in blocked and prereq_ok:
                status[h] = "PASS"
                changed = True
    return status


def model_tier(co: Co, status: dict[str, str | None]) -> int:
    """The tier table, first rule that matches."""
    if not co.eligible or any(status[h] in ("FAIL", "BLOCKED") for h in REQUIRED):
        return -1
    if any(status[h] != "PASS" for h in REQUIRED):
        return 0
    if any(status[h] != "PASS" for h in OPTIONAL):
        return 1
    return 3 if co.verified_person else 2


# ------------------------------------------------------------------ data
def load(conn, cos: list[Co]) -> None:
    """Put the companies into the database through the public functions (and
    plain sub-hub/error inserts, which the hub writer and the error pipeline make)."""
    conn.execute("CREATE TEMP TABLE gen (cid text PRIMARY KEY, eligible boolean, has_target boolean, ct_done boolean,"
                 " dol text, filled_slots int, talent text, blog boolean, bit boolean, person boolean)")
    with conn.cursor().copy("COPY gen FROM STDIN") as cp:
        for c in cos:
            cp.write_row((c.cid, c.eligible, c.has_target, c.ct_done, c.dol, c.filled_slots, c.talent, c.blog, c.bit,
                          c.verified_person))
    conn.execute("CREATE TEMP TABLE gen_err (cid text, tbl text, disp text)")
    conn.execute("CREATE TEMP TABLE gen_preset (cid text, hub text, status text)")
    with conn.cursor().copy("COPY gen_err FROM STDIN") as cp:
        for c in cos:
            for t, d in c.errors.items():
                cp.write_row((c.cid, t, d))
    with conn.cursor().copy("COPY gen_preset FROM STDIN") as cp:
        for c in cos:
            for h, s in c.preset.items():
                cp.write_row((c.cid, h, s))
    steps = [
        "SELECT count(cl.fn_register_company(cid, 'Prop ' || cid, lower(cid) || '.test',"
        " CASE WHEN eligible THEN 'ELIGIBLE' ELSE 'INELIGIBLE' END)) FROM gen",
        "SELECT count(outreach.fn_create_company_target(cid)) FROM gen WHERE has_target",
        "SELECT count(outreach.fn_mint_outreach_id(cid)) FROM gen WHERE NOT has_target",
        "SELECT count(outreach.fn_update_company_target(t.target_id, 'ready', 'pattern', NULL, 0.8, true))"
        " FROM gen g JOIN outreach.company_target t ON t.company_unique_id = g.cid WHERE g.ct_done",
        "INSERT INTO outreach.dol (target_id, outreach_id, company_unique_id, ein, filing_present)"
        " SELECT t.target_id, t.outreach_id, t.company_unique_id, CASE WHEN g.dol = 'no_ein' THEN NULL ELSE '1' END,"
        " g.dol <> 'no_filing' FROM gen g JOIN outreach.company_target t ON t.company_unique_id = g.cid WHERE g.dol <> 'none'",
        "INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type, is_filled)"
        " SELECT t.target_id, t.outreach_id, t.company_unique_id, 'S' || k, true"
        " FROM gen g JOIN outreach.company_target t ON t.company_unique_id = g.cid"
        " CROSS JOIN LATERAL generate_series(1, g.filled_slots) k",
        # an empty slot everywhere: it must never count
        "INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type, is_filled)"
        " SELECT t.target_id, t.outreach_id, t.company_unique_id, 'EMPTY', false FROM outreach.company_target t",
        "INSERT INTO people.people_master (slot_id, target_id, outreach_id, company_unique_id, email_verified)"
        " SELECT DISTINCT ON (s.company_unique_id) s.slot_id, s.target_id, s.outreach_id, s.company_unique_id, g.person"
        " FROM gen g JOIN people.company_slot s ON s.company_unique_id = g.cid AND s.is_filled"
        " ORDER BY s.company_unique_id, s.slot_id",
        "INSERT INTO outreach.talent_flow (target_id, outreach_id, company_unique_id, last_scan_at)"
        " SELECT t.target_id, t.outreach_id, t.company_unique_id, CASE WHEN g.talent = 'scanned' THEN now() END"
        " FROM gen g JOIN outreach.company_target t ON t.company_unique_id = g.cid WHERE g.talent <> 'none'",
        "INSERT INTO outreach.blog (target_id, outreach_id, company_unique_id)"
        " SELECT t.target_id, t.outreach_id, t.company_unique_id"
        " FROM gen g JOIN outreach.company_target t ON t.company_unique_id = g.cid WHERE g.blog",
        "SELECT count(outreach.fn_add_bit_signal(cid, 'NEWS_MENTION', now(), 'prop', NULL)) FROM gen WHERE bit",
        "SELECT outreach.fn_refresh_bit_scores(NULL, now())",
    ]
    for table in (*ERROR_TABLE.values(), "company.url_discovery_failures"):
        steps.append(
            f"INSERT INTO {table} (outreach_id, failure_code, disposition, parked_at)"
            " SELECT o.outreach_id, 'PROP', e.disp::shq.error_disposition, CASE WHEN e.disp = 'PARKED' THEN now() END"
            f" FROM gen_err e JOIN outreach.outreach o ON o.company_unique_id = e.cid WHERE e.tbl = '{table}'")
    steps.append("SELECT count(outreach.fn_set_hub_status(cid, hub, status, 'preset')) FROM gen_preset")
    for s in steps:
        conn.execute(s)


def statuses(conn) -> dict[tuple[str, str], str]:
    return {(c, h): s for c, h, s in conn.execute(
        "SELECT company_unique_id, hub_id, status FROM outreach.company_hub_status WHERE company_unique_id LIKE 'PROP-%'")}


def tiers(conn) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in conn.execute(
        "SELECT v.company_unique_id, v.computed_tier, shq.fn_is_tier1_marketing_ready(v.outreach_id),"
        " shq.fn_is_tier2_enrichment_complete(v.outreach_id), shq.fn_is_tier3_campaign_ready(v.outreach_id)"
        " FROM outreach.vw_marketing_eligibility v WHERE v.company_unique_id LIKE 'PROP-%'")}


@pytest.mark.parametrize("seed", [3])
def test_set_based_evaluation_matches_per_company_functions_and_the_model(fresh_db, seed):
    cos = make_companies(seed, N_COMPANIES)
    src = fresh_db()
    with psycopg.connect(src, autocommit=True) as c:
        load(c, cos)
        c.execute("ANALYZE")
        before = statuses(c)
    clone = fresh_db(template=conninfo_to_dict(src)["dbname"])
    ranged = fresh_db(template=conninfo_to_dict(src)["dbname"])

    # set-based, all companies at once
    with psycopg.connect(src, autocommit=True) as c:
        changed_all = c.execute("SELECT outreach.fn_evaluate_hub_statuses()").fetchone()[0]
        after_all = statuses(c)
        tiers_all = tiers(c)
        assert c.execute("SELECT outreach.fn_evaluate_hub_statuses()").fetchone()[0] == 0, "a fixpoint"
        # no hub left below PASS could still be promoted (per-company gate function)
        left = c.execute(
            "SELECT count(*) FROM outreach.company_hub_status s JOIN outreach.outreach o USING (company_unique_id)"
            " WHERE s.status <> 'PASS' AND shq.fn_can_promote_to_hub(o.outreach_id, s.hub_id)").fetchone()[0]
        assert left == 0
        # the readiness view counts exactly the blockers the function lists, on a sample
        sample = c.execute(
            "SELECT count(*) FROM (SELECT * FROM shq.vw_promotion_readiness ORDER BY company_unique_id LIMIT 300) r"
            " WHERE r.blocker_count <> (SELECT count(*) FROM shq.fn_get_promotion_blockers(r.outreach_id))").fetchone()[0]
        assert sample == 0

    # per company, one call each, in the clone of the same data
    with psycopg.connect(clone, autocommit=True) as c:
        changed_each = c.execute(
            "SELECT sum(outreach.fn_evaluate_hub_statuses(outreach_id))::int FROM outreach.outreach"
            " WHERE company_unique_id LIKE 'PROP-%'").fetchone()[0]
        after_each = statuses(c)
        tiers_each = tiers(c)

    # by company ranges, in another clone: three sessions at once over
    # [None, a), [a, b), [b, None)
    cids = sorted(co.cid for co in cos)
    cuts = sorted(random.Random(seed).sample(cids, 2))
    bounds = list(zip([None, *cuts], [*cuts, None]))
    changed_ranges = [0] * len(bounds)

    def evaluate(k: int) -> None:
        with psycopg.connect(ranged, autocommit=True) as c:
            changed_ranges[k] = c.execute("SELECT outreach.fn_evaluate_hub_statuses_range(%s, %s)",
                                          bounds[k]).fetchone()[0]

    threads = [threading.Thread(target=evaluate, args=(k,)) for k in range(len(bounds))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with psycopg.connect(ranged, autocommit=True) as c:
        after_ranges = statuses(c)
        assert c.execute("SELECT outreach.fn_evaluate_hub_statuses()").fetchone()[0] == 0, "the ranges left nothing"
    assert all(n > 0 for n in changed_ranges), changed_ranges

    assert changed_all == changed_each == sum(1 for k, v in after_all.items() if before.get(k) != v)
    assert changed_all == sum(changed_ranges)
    assert after_all == after_each == after_ranges
    assert tiers_all == tiers_each

    # the independent model of the tiers and promotion gates
    mismatches = []
    for co in cos:
        want = model_statuses(co)
        got = {h: after_all.get((co.cid, h)) for h in HUBS}
        tier = model_tier(co, want)
        computed, t1, t2, t3 = tiers_all[co.cid]
        if got != want or computed != tier or (t1, t2, t3) != (tier >= 1, tier >= 2, tier >= 3):
            mismatches.append((co, want, got, tier, tiers_all[co.cid]))
    assert mismatches == [], f"{len(mismatches)} companies differ from the model, e.g. {mismatches[:2]}"
    # the data really covers every tier
    assert {t[0] for t in tiers_all.values()} == {-1, 0, 1, 2, 3}


# ------------------------------------------------------------------ the rounds, as reference
#: the evaluation as it was written before the single pass: rounds of one
#: statement each, every (company, hub) whose gate passes given the statuses of
#: the rounds before, until a round promotes no hub that another hub lists as
#: a prerequisite (or one round more than there are hubs). The bulk path must
#: reach exactly what these rounds reach.
REFERENCE_ROUND = """
WITH promoted AS (
    INSERT INTO outreach.company_hub_status AS s (company_unique_id, hub_id, status, status_reason, updated_at)
    SELECT g.company_unique_id, g.hub_id, 'PASS', 'promoted by outreach.fn_evaluate_hub_statuses', now()
      FROM shq._hub_gates g
     WHERE g.current_status IS DISTINCT FROM 'PASS'
       AND g.done AND g.blocking_errors = 0 AND g.prerequisites_passed
    ON CONFLICT (company_unique_id, hub_id) DO UPDATE
       SET status = EXCLUDED.status, status_reason = EXCLUDED.status_reason, updated_at = EXCLUDED.updated_at
     WHERE s.status IS DISTINCT FROM 'PASS'
    RETURNING s.hub_id)
SELECT count(*)::int, array_agg(DISTINCT promoted.hub_id) FROM promoted"""


def reference_rounds(conn) -> tuple[int, int]:
    """The rounds, in the caller's transaction, as the owner with the sanction:
    the rows changed and the rounds that promoted a hub."""
    conn.execute("SET LOCAL ROLE outreach_owner")
    conn.execute("SELECT shq.fn_sanction('outreach.company_hub_status')")
    total, hubs_count = 0, conn.execute("SELECT count(*) FROM outreach.hub_registry").fetchone()[0]
    for round_no in range(1, 100):
        changed, hubs = conn.execute(REFERENCE_ROUND).fetchone()
        total += changed
        needed = conn.execute("SELECT EXISTS (SELECT 1 FROM outreach.hub_registry WHERE prerequisite_hubs && %s)",
                              (hubs or [],)).fetchone()[0]
        if changed == 0 or not needed or round_no > hubs_count:
            break
    conn.execute("SELECT shq.fn_sanction('')")
    conn.execute("RESET ROLE")
    return total, round_no - (changed == 0)


#: prerequisite graphs to evaluate under (hub -> prerequisites; the others
#: keep the registry's): the contract's (one level), a chain through all six
#: hubs, a diamond with two prerequisites, and a cycle (neither hub of it can
#: be promoted unless it is PASS already), with the rounds each needs on the
#: test's data at least (so that the data does exercise every level)
GRAPHS = {
    "contract": {},
    "chain": {"dol-filings": ["company-target"], "people-intelligence": ["dol-filings"],
              "talent-flow": ["people-intelligence"], "blog-content": ["talent-flow"], "bit-engine": ["blog-content"]},
    "diamond": {"talent-flow": ["dol-filings", "people-intelligence"], "blog-content": ["talent-flow"],
                "bit-engine": ["blog-content", "company-target"]},
    "cycle": {"blog-content": ["bit-engine"], "bit-engine": ["blog-content", "dol-filings"]},
}

MIN_ROUNDS = {"contract": 2, "chain": 6, "diamond": 4, "cycle": 2}


def set_graph(conn, graph: dict[str, list[str]]) -> None:
    """Rewrite prerequisites in the caller's transaction, as a migration would."""
    conn.execute("SET LOCAL ROLE outreach_owner")
    conn.execute("SELECT shq.fn_sanction('outreach.hub_registry')")
    for hub, prerequisites in graph.items():
        conn.execute("UPDATE outreach.hub_registry SET prerequisite_hubs = %s WHERE hub_id = %s", (prerequisites, hub))
    conn.execute("SELECT shq.fn_sanction('')")
    conn.execute("RESET ROLE")


def full_statuses(conn) -> dict[tuple[str, str], tuple[str, str]]:
    return {(c, h): (s, r) for c, h, s, r in conn.execute(
        "SELECT company_unique_id, hub_id, status, status_reason FROM outreach.company_hub_status"
        " WHERE company_unique_id LIKE 'PROP-%'")}


def test_single_pass_reaches_what_the_rounds_reach(fresh_db):
    """The bulk evaluation (one statement) gives every company exactly the
    statuses the rounds give, and the same count, under prerequisite graphs
    of one to six levels and a cycle, from random data that already holds
    PASS hubs (some of them on hubs whose prerequisites are not at PASS, as a
    changed registry leaves them)."""
    cos = make_companies(11, 3000)
    src = fresh_db()
    with psycopg.connect(src, autocommit=True) as c:
        load(c, cos)
        # a third of the companies evaluated under the contract's graph first
        c.execute("SELECT count(outreach.fn_evaluate_hub_statuses(o.outreach_id)) FROM outreach.outreach o"
                  " WHERE o.company_unique_id LIKE 'PROP-%' AND hashtext(o.company_unique_id) % 3 = 0")
        c.execute("ANALYZE")
    rnd = random.Random(11)
    cuts = sorted(rnd.sample(sorted(co.cid for co in cos), 2))
    with psycopg.connect(src) as c:
        for name, graph in GRAPHS.items():
            with c.transaction(force_rollback=True):
                set_graph(c, graph)
                want_count, rounds = reference_rounds(c)
                want = full_statuses(c)
            with c.transaction(force_rollback=True):
                set_graph(c, graph)
                got_count = c.execute("SELECT outreach.fn_evaluate_hub_statuses()").fetchone()[0]
                got = full_statuses(c)
                assert c.execute("SELECT outreach.fn_evaluate_hub_statuses()").fetchone()[0] == 0, name
            with c.transaction(force_rollback=True):
                set_graph(c, graph)
                ranged_count = sum(c.execute("SELECT outreach.fn_evaluate_hub_statuses_range(%s, %s)", b).fetchone()[0]
                                   for b in zip([None, *cuts], [*cuts, None]))
                ranged = full_statuses(c)
            assert want_count > 0, name
            assert rounds >= MIN_ROUNDS[name], (name, rounds)
            assert (got_count, ranged_count) == (want_count, want_count), name
            differ = [k for k in want.keys() | got.keys() if want.get(k) != got.get(k)]
            assert differ == [], f"{name}: {len(differ)} statuses differ, e.g. {differ[:3]}"
            assert ranged == want, name
