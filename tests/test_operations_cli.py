"""Operations from a shell (docs/operator-guide.md): `pyctl seed` -> `pyctl state` ->
`pyctl smoke` end to end through the installed CLI; seed refuses a
non-positive N and an unmigrated database; seed is reproducible and a second
run adds N more; state works on an empty and on an unmigrated database, in
every format."""
from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from pyctl import seed as seed_mod
from pyctl import state as state_mod
from pyctl.errors import PyctlError


def out(p) -> str:
    return (p.stdout or "") + (p.stderr or "")


def q(dsn, sql, params=None):
    with psycopg.connect(dsn, autocommit=True) as c:
        return c.execute(sql, params).fetchall()


def val(dsn, sql, params=None):
    return q(dsn, sql, params)[0][0]


def number_in(text, n) -> bool:
    return any(re.search(r"(?<![\d,.])" + re.escape(f) + r"(?![\d,])", text) for f in {str(n), f"{n:,}"})


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("n", ["0", "-3", "abc"])
def test_seed_refuses_a_non_positive_or_bad_n(run_pyctl, fresh_db, n):
    dsn = fresh_db()
    p = run_pyctl(["seed", "--companies", n, "--dsn", dsn], dsn=dsn)
    assert p.returncode == 2, out(p)
    assert "--companies" in out(p)
    assert val(dsn, "SELECT count(*) FROM cl.company_identity") == 0


def test_seed_needs_companies(run_pyctl, fresh_db):
    dsn = fresh_db()
    p = run_pyctl(["seed", "--dsn", dsn], dsn=dsn)
    assert p.returncode == 2 and "--companies" in out(p)


def test_seed_function_refuses_non_positive_n(fresh_db):
    from pyctl.errors import PyctlError

    dsn = fresh_db()
    for n in (0, -1):
        with pytest.raises(PyctlError) as ei:
            seed_mod.seed(dsn, n)
        assert ei.value.exit_code == 2
    assert val(dsn, "SELECT count(*) FROM cl.company_identity") == 0


def test_seed_on_an_unmigrated_database_is_one_clear_error(run_pyctl, fresh_db):
    dsn = fresh_db("template0")
    p = run_pyctl(["seed", "--companies", "10", "--dsn", dsn], dsn=dsn)
    assert p.returncode == 1
    assert "not migrated" in out(p) and "Traceback" not in out(p)


# ------------------------------------------------------------------ state on empty databases
def test_state_on_an_empty_database(run_pyctl, fresh_db):
    dsn = fresh_db()
    p = run_pyctl(["state", "--dsn", dsn], dsn=dsn)
    assert p.returncode == 0, out(p)
    assert p.stdout.startswith("LIVE SYSTEM STATE")
    assert "Total companies (CL)" in p.stdout and "ALIGNED" in p.stdout
    assert "END OF LIVE SYSTEM STATE" in p.stdout


def test_state_on_an_unmigrated_database(run_pyctl, fresh_db):
    dsn = fresh_db("template0")
    for fmt in ("text", "markdown", "json"):
        p = run_pyctl(["state", "--format", fmt, "--dsn", dsn], dsn=dsn)
        assert p.returncode == 0, out(p)
        assert "LIVE SYSTEM STATE" in p.stdout
    assert "not migrated" in run_pyctl(["state", "--dsn", dsn], dsn=dsn).stdout


def test_state_rejects_an_unknown_format(run_pyctl, fresh_db):
    dsn = fresh_db()
    p = run_pyctl(["state", "--format", "xml", "--dsn", dsn], dsn=dsn)
    assert p.returncode == 2


def test_state_shows_na_for_a_missing_view(fresh_db):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DROP VIEW outreach.vw_tier_distribution")
    text = state_mod.state_report(dsn, "text")
    block = text.split("TIER DISTRIBUTION", 1)[1].split("\n\n", 1)[0]
    assert "n/a" in block
    assert "outreach.vw_tier_distribution" in text and "MISSING" in text


# ------------------------------------------------------------------ end to end
@pytest.fixture(scope="module")
def seeded(run_pyctl, dsn):
    p = run_pyctl(["seed", "--companies", "600", "--seed", "11", "--dsn", dsn], dsn=dsn)
    assert p.returncode == 0, out(p)
    return p


def test_seed_creates_exactly_n_companies_spine_aligned(seeded, dsn):
    assert val(dsn, "SELECT count(*) FROM cl.company_identity") == 600
    assert val(dsn, "SELECT count(*) FROM outreach.outreach") == 600
    assert val(dsn, "SELECT count(*) FROM outreach.company_target") == 600
    assert q(dsn, "SELECT is_aligned, spine_without_cl, cl_without_spine FROM shq.fn_check_spine_alignment()")[0] == (True, 0, 0)
    assert "seeded 600 companies" in seeded.stdout
    assert "600/600" in seeded.stderr or "seeding companies" in seeded.stderr  # progress shown


def test_seed_data_is_realistic(seeded, dsn):
    inel = val(dsn, "SELECT count(*) FROM cl.company_identity WHERE eligibility_status = 'INELIGIBLE'")
    assert 3 <= inel <= 40, inel  # a few percent
    tiers = dict(q(dsn, "SELECT effective_tier, count(*) FROM outreach.vw_marketing_eligibility_with_overrides GROUP BY 1"))
    assert set(tiers) == {-1, 0, 1, 2, 3}, tiers
    statuses = {r[0] for r in q(dsn, "SELECT DISTINCT status FROM outreach.company_hub_status")}
    assert {"PASS", "FAIL", "BLOCKED"} <= statuses
    for table in ("outreach.dol", "outreach.dol_filings", "people.company_slot", "people.people_master", "outreach.people",
                  "outreach.talent_flow", "outreach.blog", "outreach.blog_signals"):
        assert val(dsn, f"SELECT count(*) FROM {table}") > 0, table
    lo, hi, n = q(dsn, "SELECT min(occurred_at) > now() - interval '181 days', max(occurred_at) <= now(), count(*)"
                       " FROM outreach.bit_signals")[0]
    assert lo and hi and n > 300
    assert val(dsn, "SELECT count(*) FROM outreach.bit_scores") > 0
    assert val(dsn, "SELECT count(*) FROM outreach.manual_overrides WHERE removed_at IS NULL") >= 1
    assert val(dsn, "SELECT count(*) FROM outreach.override_audit_log") >= 1, "overrides went through the sanctioned writer"
    dispositions = set()
    for (t,) in q(dsn, "SELECT table_name FROM shq.governed_error_tables"):
        dispositions |= {r[0] for r in q(dsn, f"SELECT DISTINCT disposition::text FROM {t}")}
    assert dispositions == {"RETRY", "PARKED", "ARCHIVED", "IGNORE", "RESOLVED"}
    assert val(dsn, "SELECT count(*) FROM outreach.campaigns WHERE campaign_id LIKE 'SEED11-%'") == 4
    assert val(dsn, "SELECT count(*) FROM outreach.sequences WHERE campaign_id LIKE 'SEED11-%'") == 9
    assert val(dsn, "SELECT count(*) FROM outreach.send_log") > 0
    reasons = {r[0] for r in q(dsn, "SELECT DISTINCT block_reason FROM outreach.send_attempt_audit WHERE was_blocked")}
    assert "TIER_BELOW_CAMPAIGN_MINIMUM" in reasons and len(reasons) >= 3, reasons


def test_state_reports_the_seeded_counts(seeded, run_pyctl, dsn):
    p = run_pyctl(["state", "--dsn", dsn], dsn=dsn)
    assert p.returncode == 0, out(p)
    assert p.stdout.upper().startswith("LIVE SYSTEM STATE")
    assert number_in(p.stdout, val(dsn, "SELECT count(*) FROM outreach.vw_marketing_eligibility_with_overrides"))
    assert number_in(p.stdout, val(dsn, "SELECT count(*) FROM outreach.company_hub_status"))
    for heading in ("WHAT IS LIVE", "TIER DISTRIBUTION", "ACTIVE OVERRIDES", "BIT SCORES", "SEND ATTEMPTS (LAST 24 H)",
                    "ERROR GOVERNANCE", "JOB HEALTH", "SPINE ALIGNMENT"):
        assert heading in p.stdout, heading
    assert "TIER_BELOW_CAMPAIGN_MINIMUM" in p.stdout
    assert "ALIGNED" in p.stdout and "NOT ALIGNED" not in p.stdout


def test_state_markdown_and_json(seeded, run_pyctl, dsn):
    md = run_pyctl(["state", "--format", "markdown", "--dsn", dsn], dsn=dsn)
    assert md.returncode == 0 and md.stdout.startswith("# LIVE SYSTEM STATE")
    assert "## CURRENT STATE SNAPSHOT" in md.stdout and "### TIER DISTRIBUTION" in md.stdout
    assert "| tier |" in md.stdout
    js = run_pyctl(["state", "--format", "json", "--dsn", dsn], dsn=dsn)
    assert js.returncode == 0
    doc = json.loads(js.stdout)
    assert doc["title"] == "LIVE SYSTEM STATE"
    assert doc["companies"]["total"] == 600
    counts = {r["table"]: r["rows"] for r in doc["row_counts"]}
    assert counts["outreach.company_hub_status"] == val(dsn, "SELECT count(*) FROM outreach.company_hub_status")
    assert sum(t["companies"] for t in doc["tier_distribution"]) == 600
    assert doc["spine_alignment"]["is_aligned"] is True


def test_smoke_after_seed(seeded, run_pyctl, dsn):
    before = val(dsn, "SELECT count(*) FROM shq.audit_log WHERE event_type = 'SMOKE_TEST'")
    p = run_pyctl(["smoke", "--dsn", dsn], dsn=dsn)
    assert p.returncode == 0, out(p)
    rows = [ln for ln in p.stdout.splitlines() if ln.startswith("S11-")]
    assert len(rows) == 5
    assert "5 companies checked" in p.stdout
    assert val(dsn, "SELECT count(*) FROM shq.audit_log WHERE event_type = 'SMOKE_TEST'") == before + 1
    p = run_pyctl(["smoke", "--sample", "3", "--dsn", dsn], dsn=dsn)
    assert p.returncode == 0 and "3 companies checked" in p.stdout
    assert run_pyctl(["smoke", "--sample", "0", "--dsn", dsn], dsn=dsn).returncode == 2
    # the state report shows the last smoke test
    assert "Companies checked / eligible" in run_pyctl(["state", "--dsn", dsn], dsn=dsn).stdout


def test_smoke_on_an_empty_database(run_pyctl, fresh_db):
    dsn = fresh_db()
    p = run_pyctl(["smoke", "--dsn", dsn], dsn=dsn)
    assert p.returncode == 0, out(p)
    assert "0 companies checked" in p.stdout
    assert val(dsn, "SELECT count(*) FROM shq.audit_log WHERE event_type = 'SMOKE_TEST'") == 1


# ------------------------------------------------------------------ reproducibility
SNAPSHOT = [
    "SELECT company_unique_id, company_name, domain, eligibility_status, identity_status, lifecycle_state, outreach_id"
    " FROM cl.company_identity ORDER BY 1",
    "SELECT target_id, company_unique_id, outreach_status, execution_status, email_method FROM outreach.company_target ORDER BY 1",
    "SELECT company_unique_id, hub_id, status FROM outreach.company_hub_status ORDER BY 1, 2",
    "SELECT company_unique_id, signal_type, points FROM outreach.bit_signals ORDER BY 1, 2",
    "SELECT slot_id, company_unique_id, slot_type, is_filled FROM people.company_slot ORDER BY 1",
    "SELECT company_unique_id, override_type, tier_cap, reason FROM outreach.manual_overrides ORDER BY 1, 2",
    "SELECT effective_tier, companies FROM outreach.vw_tier_distribution ORDER BY 1",
]


def test_same_seed_same_data(fresh_db):
    a, b = fresh_db(), fresh_db()
    seed_mod.seed(a, 1500, 5, batch_size=1000, workers=2)  # two batches in parallel
    seed_mod.seed(b, 1500, 5, batch_size=1000, workers=1)  # the same two, one after the other
    for sql in SNAPSHOT:
        assert q(a, sql) == q(b, sql), sql
    c = fresh_db()
    seed_mod.seed(c, 1500, 6)
    assert q(a, SNAPSHOT[0]) != q(c, SNAPSHOT[0]), "another seed gives other data"


def test_a_second_run_adds_n_more(fresh_db):
    dsn = fresh_db()
    r1 = seed_mod.seed(dsn, 120, 3, batch_size=1000)
    r2 = seed_mod.seed(dsn, 80, 3, batch_size=1000)
    assert (r1.first_index, r1.last_index, r2.first_index, r2.last_index) == (1, 120, 121, 200)
    assert val(dsn, "SELECT count(*) FROM cl.company_identity") == 200
    assert q(dsn, "SELECT is_aligned FROM shq.fn_check_spine_alignment()")[0][0] is True
    assert val(dsn, "SELECT count(*) FROM outreach.campaigns WHERE campaign_id LIKE 'SEED3-%'") == 4
    assert val(dsn, "SELECT count(*) FROM shq.audit_log WHERE event_type = 'SEED'") == 2


def test_batches_and_workers_do_not_change_the_result(fresh_db):
    """Several batches (small batch size) on parallel workers: still exactly N, aligned."""
    dsn = fresh_db()
    seen = []
    r = seed_mod.seed(dsn, 2500, 9, batch_size=1000, workers=2, progress=seen.append)
    assert sum(seen) == 2500 and sorted(seen) == [500, 1000, 1000]
    assert val(dsn, "SELECT count(*) FROM cl.company_identity") == 2500
    assert val(dsn, "SELECT count(DISTINCT target_id) FROM outreach.company_target") == 2500
    assert q(dsn, "SELECT is_aligned FROM shq.fn_check_spine_alignment()")[0][0] is True
    assert r.figures["campaigns"] == 4


# ------------------------------------------------------------------ bulk mode and the split evaluation
def test_bulk_mode_and_a_split_evaluation_give_the_data_of_checked_rows(fresh_db, admin, server_dsn, monkeypatch):
    """A superuser seeds in bulk mode (no per-row foreign-key checks, one
    set-based check per key at the end) and evaluates the hub statuses in two
    company ranges at once; a role that only owns the tables, on one worker,
    gets every check per row and one evaluation. The data is the same."""
    monkeypatch.setattr(seed_mod, "EVALUATE_MIN_RANGE", 500)
    bulk = fresh_db()
    r_bulk = seed_mod.seed(bulk, 1500, 8, batch_size=1000, workers=2)
    owner_db = fresh_db()
    role = f"seed_owner_{uuid.uuid4().hex[:8]}"
    admin.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE outreach_owner").format(sql.Identifier(role)))
    try:
        dbname = conninfo_to_dict(owner_db)["dbname"]
        r_owner = seed_mod.seed(server_dsn(dbname, role), 1500, 8, batch_size=1000, workers=1)
    finally:
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
    assert [p for p in r_bulk.phases if p.startswith("foreign keys")] == [
        "foreign keys, vacuum and analyze, loaded tables", "foreign keys, scores and hub statuses"]
    assert "hub statuses (by company range)" in r_bulk.phases
    assert not [p for p in r_owner.phases if p.startswith("foreign keys")], "checked per row, not again"
    for snapshot in SNAPSHOT:
        assert q(bulk, snapshot) == q(owner_db, snapshot), snapshot
    assert r_bulk.figures == r_owner.figures
    # the bulk run's one full refresh scores every company, as the nightly
    # full refresh does: the companies with signals as their trigger would,
    # the others 0 with no signal
    # (scores decay with the clock: the bulk refresh runs after the load, the
    # trigger at each insert, so on a busy machine the two differ by the decay
    # of those seconds, a hundredth at most; tiers and counts are exact)
    scored = "SELECT company_unique_id, score_tier, signal_count, score FROM outreach.bit_scores WHERE signal_count > 0 ORDER BY 1"
    bulk_scores, owner_scores = q(bulk, scored), q(owner_db, scored)
    assert [r[:3] for r in bulk_scores] == [r[:3] for r in owner_scores]
    drift = max((abs(b[3] - o[3]) for b, o in zip(bulk_scores, owner_scores)), default=0)
    assert drift <= Decimal("0.05"), drift
    assert val(bulk, "SELECT count(*) FROM outreach.bit_scores") == 1500
    assert val(bulk, "SELECT count(*) FROM outreach.bit_scores WHERE signal_count = 0 AND score = 0") == \
        1500 - val(owner_db, "SELECT count(*) FROM outreach.bit_scores")


def test_the_bulk_foreign_key_check_finds_an_orphan(fresh_db):
    dsn = fresh_db()
    seed_mod.seed(dsn, 50, 4)
    with psycopg.connect(dsn, autocommit=True) as c:
        seed_mod.check_foreign_keys(c, seed_mod.BULK_TABLES)  # a seeded database is clean
        with c.transaction():
            c.execute("SET LOCAL session_replication_role = replica")  # what bulk mode skips
            c.execute("INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)"
                      " VALUES (gen_random_uuid(), 'NOT-IN-THE-SPINE', 'NEWS_MENTION', 1, now())")
        with pytest.raises(PyctlError) as e:
            seed_mod.check_foreign_keys(c, seed_mod.BULK_TABLES)
        assert "outreach.bit_signals.bit_signals_spine_fkey: 1 rows without their outreach.outreach row" in str(e.value)
        assert "bit_signal_types" not in str(e.value), "only the broken key is named"


def test_the_bulk_attachment_skip_is_proven_by_the_key_check(fresh_db):
    """Bulk mode skips the attachment trigger's per-row lookup (replica mode
    plus the seed's transaction-local declaration); the end's key check is
    the same rule and names a row that disagrees with its target. Without
    replica mode the declaration skips nothing."""
    dsn = fresh_db()
    seed_mod.seed(dsn, 50, 4)
    one, other = seed_mod.company_id(4, 1), seed_mod.company_id(4, 2)
    bad_dol = ("INSERT INTO outreach.dol (target_id, outreach_id, company_unique_id, ein, filing_present)"
               " SELECT t.target_id, t.outreach_id, %s, 'EIN-X', true FROM outreach.company_target t"
               " WHERE t.company_unique_id = %s")
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("DELETE FROM outreach.dol WHERE company_unique_id = %s", (one,))
        with pytest.raises(psycopg.Error) as e, c.transaction():
            c.execute(seed_mod.ATTACHMENT_CHECKED_SQL)  # declared, but not a replica: checked per row
            c.execute(bad_dol, (other, one))
        assert e.value.sqlstate == "OG006"
        with pytest.raises(psycopg.Error) as e, c.transaction():
            c.execute("SET LOCAL session_replication_role = replica")  # a replica, but not declared
            c.execute(bad_dol, (other, one))
        assert e.value.sqlstate == "OG006"
        assert val(dsn, "SELECT count(*) FROM outreach.dol WHERE company_unique_id = %s", (one,)) == 0
        with c.transaction():
            c.execute("SET LOCAL session_replication_role = replica")  # what bulk mode does
            c.execute(seed_mod.ATTACHMENT_CHECKED_SQL)
            c.execute(bad_dol, (other, one))
        with pytest.raises(PyctlError) as e:
            seed_mod.check_foreign_keys(c, seed_mod.BULK_TABLES)
        assert "outreach.dol.dol_target_fkey: 1 rows without their outreach.company_target row" in str(e.value)
