"""BIT engine, with real commits and several connections: the score of
a refresh equals fn_compute_bit_score and the formula for random signal sets
(hypothesis), the incremental refresh is one set-based call per statement and
touches only the companies of that statement, concurrent writers never leave a
stale score, concurrent duplicates get one signal id, and `pyctl bit explain`."""
from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import ROUND_HALF_UP, Decimal, getcontext

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import in_thread, register_company, waits_on_lock

T0 = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=dt.timezone.utc)
getcontext().prec = 50


def _company(conn, prefix="BIT"):
    """A registered company with its outreach_id (spine row, no target)."""
    cid = register_company(conn, prefix=prefix)
    return cid, conn.execute("SELECT outreach.fn_mint_outreach_id(%s)", (cid,)).fetchone()[0]


def _type(conn, half_life, points=10):
    name = f"T_{uuid.uuid4().hex[:10].upper()}"
    conn.execute("INSERT INTO outreach.bit_signal_types (signal_type, source_hub, weight_class, points, half_life_days)"
                 " VALUES (%s, 'company-target', 'LOW', %s, %s)", (name, points, half_life))
    return name


def _stored(conn, oid):
    return conn.execute("SELECT score, score_tier, signal_count, last_signal_at FROM outreach.bit_scores"
                        " WHERE outreach_id = %s", (oid,)).fetchone()


def _computed(conn, oid, as_of="now"):
    return conn.execute("SELECT score, score_tier, signal_count, last_signal_at"
                        " FROM outreach.fn_compute_bit_score(%s, %s::timestamptz)", (oid, as_of)).fetchone()


def _reference(signals, half_lives, as_of):
    """The contract's formula in exact decimal arithmetic: (score, tier, count, last)."""
    total, count, last = Decimal(0), 0, None
    for _company_no, type_no, points, occurred in signals:
        if occurred > as_of:
            continue
        hl = half_lives[type_no]
        age_days = Decimal((as_of - occurred).total_seconds()) / Decimal(86400)
        factor = Decimal(1) if hl is None else Decimal(0.5) ** (age_days / Decimal(str(hl)))
        total += points * factor
        count += 1
        last = occurred if last is None or occurred > last else last
    score = min(Decimal(100), total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    tier = "COLD" if score < 25 else "WARM" if score < 50 else "HOT" if score < 75 else "BURNING"
    return score, tier, count, last


# ------------------------------------------------------------------ property
HALF_LIVES = st.sampled_from([None, 0.5, 1, 7, 30, 45, 90, 180, 365, 2.75])
SIGNAL = st.tuples(
    st.integers(0, 3),                                                   # company
    st.integers(0, 2),                                                   # type
    st.decimals(min_value=0, max_value=60, places=2),                    # points
    st.integers(-20 * 86400, 800 * 86400),                               # age in seconds at as_of (negative: later)
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(half_lives=st.lists(HALF_LIVES, min_size=3, max_size=3), signals=st.lists(SIGNAL, max_size=25),
       as_of_shift=st.integers(-30 * 86400, 30 * 86400))
def test_refresh_of_all_equals_compute_and_the_formula(conn, half_lives, signals, as_of_shift):
    as_of = T0 + dt.timedelta(seconds=as_of_shift)
    types = [_type(conn, hl) for hl in half_lives]
    companies = [_company(conn, "BITP") for _ in range(4)]
    rows = [(companies[c][1], companies[c][0], types[t], p, T0 - dt.timedelta(seconds=age))
            for c, t, p, age in signals]
    if rows:
        # one statement, so the trigger refreshes once (as of now(), not as_of)
        conn.execute(
            "INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)"
            " SELECT * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::numeric[], %s::timestamptz[])",
            [list(col) for col in zip(*rows)])
    spine = conn.execute("SELECT count(*) FROM outreach.outreach").fetchone()[0]
    assert conn.execute("SELECT outreach.fn_refresh_bit_scores(NULL, %s)", (as_of,)).fetchone()[0] == spine

    for no, (_cid, oid) in enumerate(companies):
        mine = [(c, t, p, T0 - dt.timedelta(seconds=age)) for c, t, p, age in signals if c == no]
        stored = _stored(conn, oid)
        assert stored == _computed(conn, oid, as_of), "the refresh stored what fn_compute_bit_score returns"
        ref_score, ref_tier, ref_count, ref_last = _reference(mine, half_lives, as_of)
        score, tier, count, last = stored
        assert (count, last) == (ref_count, ref_last)
        # double-precision decay: equal to the exact formula within a cent
        # (a cent apart only when the exact value sits on a half cent)
        assert abs(score - ref_score) <= Decimal("0.01"), (score, ref_score, mine)
        if score == ref_score:
            assert tier == ref_tier
        explained = conn.execute("SELECT coalesce(sum(contribution), 0), count(*) FROM outreach.fn_explain_bit_score(%s, %s)",
                                 (oid, as_of)).fetchone()
        assert min(Decimal(100), explained[0].quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)) == score
        assert explained[1] == count


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(half_lives=st.lists(HALF_LIVES, min_size=3, max_size=3),
       plan=st.lists(st.tuples(st.booleans(), st.lists(st.tuples(st.integers(0, 2), st.integers(-5 * 86400, 400 * 86400)),
                                                     max_size=3)), min_size=70, max_size=90),
       as_of_shift=st.integers(-30 * 86400, 30 * 86400))
def test_refresh_of_a_long_list_equals_compute(conn, half_lives, plan, as_of_shift):
    """More than 64 companies take the list path of fn_refresh_bit_scores (one
    index range per company): companies with and without a scores row, with
    and without signals up to as_of, get exactly fn_compute_bit_score."""
    as_of = T0 + dt.timedelta(seconds=as_of_shift)
    types = [_type(conn, hl) for hl in half_lives]
    companies = [_company(conn, "BITL") for _ in plan]
    rows = [(oid, cid, types[t], T0 - dt.timedelta(seconds=age))
            for (cid, oid), (_scored, signals) in zip(companies, plan) for t, age in signals]
    if rows:
        conn.execute(
            "INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)"
            " SELECT o, c, t, 10, at FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::timestamptz[]) AS x(o, c, t, at)",
            [list(col) for col in zip(*rows)])
    # some companies without a signal have a row already (refreshed once), the others none
    conn.execute("SELECT outreach.fn_refresh_bit_scores(%s, %s)",
                 ([oid for (_cid, oid), (scored, signals) in zip(companies, plan) if scored and not signals], T0))
    ids = [oid for _cid, oid in companies]
    written = conn.execute("SELECT outreach.fn_refresh_bit_scores(%s, %s)",
                           (ids + [uuid.uuid4(), ids[0], None], as_of)).fetchone()[0]
    assert written == len(companies), "one row per listed spine company; unknown, repeated and NULL ids skipped"
    got = conn.execute(
        "SELECT b.outreach_id, b.score, b.score_tier, b.signal_count, b.last_signal_at, b.as_of"
        " FROM outreach.bit_scores b WHERE b.outreach_id = ANY(%s) ORDER BY 1", (ids,)).fetchall()
    want = conn.execute(
        "SELECT x.id, c.score, c.score_tier, c.signal_count, c.last_signal_at, %s::timestamptz"
        " FROM unnest(%s::uuid[]) AS x(id), LATERAL outreach.fn_compute_bit_score(x.id, %s) c ORDER BY 1",
        (as_of, ids, as_of)).fetchall()
    assert got == want


# ------------------------------------------------------------------ incremental refresh
def test_one_statement_of_10k_signals_is_one_refresh_of_exactly_its_companies(conn, new_conn):
    flat = _type(conn, None, points=1)
    companies = [_company(conn, "BITI") for _ in range(60)]
    conn.execute("SELECT outreach.fn_refresh_bit_scores(%s, %s)", ([o for _c, o in companies], T0))
    touched = companies[:40]
    c = new_conn(autocommit=False)
    c.execute("SET LOCAL track_functions = 'pl'")
    c.execute(
        "INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)"
        " SELECT (%s::uuid[])[1 + g %% 40], (%s::text[])[1 + g %% 40], %s, 1, %s FROM generate_series(0, 9999) g",
        ([o for _c, o in touched], [cid for cid, _o in touched], flat, T0))
    calls = c.execute("SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions"
                      " WHERE schemaname = 'outreach' AND funcname = 'fn_refresh_bit_scores'").fetchone()[0]
    c.commit()
    assert calls == 1, "10,000 signals in one INSERT = one fn_refresh_bit_scores call"
    for cid, oid in touched:
        score, tier, count, _last = _stored(conn, oid)
        assert (count, score, tier) == (250, Decimal(100), "BURNING"), cid
    untouched = conn.execute("SELECT count(*) FROM outreach.bit_scores WHERE outreach_id = ANY(%s) AND as_of = %s",
                             ([o for _c, o in companies[40:]], T0)).fetchone()[0]
    assert untouched == 20, "the 20 companies without a new signal kept their row as it was"


def test_a_failed_statement_leaves_scores_and_signals_as_they_were(conn):
    cid, oid = _company(conn, "BITF")
    conn.execute("SELECT outreach.fn_add_bit_signal(%s, 'SLOT_FILLED', %s)", (cid, T0))
    before = (_stored(conn, oid), conn.execute("SELECT count(*) FROM outreach.bit_signals").fetchone()[0])
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)"
            " VALUES (%s, %s, 'SLOT_FILLED', 5, now()), (%s, %s, 'SLOT_FILLED', -1, now())", (oid, cid, oid, cid))
    assert (_stored(conn, oid), conn.execute("SELECT count(*) FROM outreach.bit_signals").fetchone()[0]) == before


# ------------------------------------------------------------------ concurrency
def _two_writers(conn, new_conn, cid, first, second):
    """Two open transactions add a signal (type, age) each to `cid`; the
    second one's refresh must wait for the first's; both commit."""
    c1, c2 = new_conn(autocommit=False), new_conn(autocommit=False)
    add = "SELECT outreach.fn_add_bit_signal(%s, %s, now() - %s::interval)"
    c1.execute(add, (cid, *first))
    t, out = in_thread(lambda: c2.execute(add, (cid, *second)).fetchone())
    assert waits_on_lock(conn, c2.info.backend_pid), "the second writer's refresh waits for the first"
    c1.commit()
    t.join(30)
    assert "error" not in out, out.get("error")
    c2.commit()


def test_two_writers_of_one_company_never_leave_a_stale_score(conn, new_conn):
    """Both add a signal in open transactions; the second refresh waits for the
    first and then sees its signal, so the stored score counts both."""
    cid, oid = _company(conn, "BITC")
    _two_writers(conn, new_conn, cid, ("SLOT_FILLED", "1 day"), ("DOL_RENEWAL_PROXIMITY", "1 day"))
    stored = _stored(conn, oid)
    assert stored[2] == 2, "the stored score counts both signals"
    fresh = conn.execute("SELECT score FROM outreach.fn_compute_bit_score(%s, (SELECT as_of FROM outreach.bit_scores"
                         " WHERE outreach_id = %s))", (oid, oid)).fetchone()[0]
    assert stored[0] == fresh


def test_two_writers_of_an_already_scored_company_never_leave_a_stale_score(conn, new_conn):
    cid, oid = _company(conn, "BITE")
    conn.execute("SELECT outreach.fn_add_bit_signal(%s, 'DOMAIN_VERIFIED', now() - interval '9 days')", (cid,))
    _two_writers(conn, new_conn, cid, ("SLOT_FILLED", "1 day"), ("EXECUTIVE_MOVEMENT", "2 days"))
    score, _tier, count, _last = _stored(conn, oid)
    assert count == 3
    assert score == conn.execute("SELECT score FROM outreach.fn_compute_bit_score(%s, (SELECT as_of FROM"
                                 " outreach.bit_scores WHERE outreach_id = %s))", (oid, oid)).fetchone()[0]


def test_refreshes_of_other_companies_do_not_wait(conn, new_conn):
    """A loader holding a big open batch (300 companies) does not block a signal for another company."""
    flat = _type(conn, None, points=1)
    batch = [_company(conn, "BITW") for _ in range(300)]
    other_cid, other_oid = _company(conn, "BITO")
    c1 = new_conn(autocommit=False)
    c1.execute("INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)"
               " SELECT * FROM unnest(%s::uuid[], %s::text[]) AS u, LATERAL (SELECT %s, 1, now()) v",
               ([o for _c, o in batch], [c for c, _o in batch], flat))
    c2 = new_conn()
    c2.execute("SET statement_timeout = '5s'")
    c2.execute("SELECT outreach.fn_add_bit_signal(%s, 'NEWS_MENTION')", (other_cid,))
    assert _stored(conn, other_oid)[2] == 1
    c1.commit()
    assert conn.execute("SELECT count(*) FROM outreach.bit_scores WHERE outreach_id = ANY(%s) AND signal_count = 1",
                        ([o for _c, o in batch],)).fetchone()[0] == 300


def test_a_full_refresh_and_a_new_signal_serialise(conn, new_conn):
    cid, oid = _company(conn, "BITS")
    c1, c2 = new_conn(autocommit=False), new_conn(autocommit=False)
    c1.execute("SELECT outreach.fn_refresh_bit_scores()")
    pid2 = c2.execute("SELECT pg_backend_pid()").fetchone()[0]
    t, out = in_thread(lambda: c2.execute(
        "SELECT outreach.fn_add_bit_signal(%s, 'NEWS_MENTION', now() - interval '1 hour')", (cid,)).fetchone())
    assert waits_on_lock(conn, pid2), "a signal's refresh waits for a running full refresh"
    assert conn.execute("SELECT count(*) FROM outreach.bit_scores").fetchone()[0] >= 0, "readers are not blocked"
    c1.commit()
    t.join(30)
    assert "error" not in out, out.get("error")
    c2.commit()
    assert _stored(conn, oid)[2] == 1


def test_concurrent_duplicates_get_one_signal_id(conn, new_conn):
    cid, oid = _company(conn, "BITD")
    c1, c2 = new_conn(autocommit=False), new_conn(autocommit=False)
    first = c1.execute("SELECT outreach.fn_add_bit_signal(%s, 'ENGAGEMENT_REPLY', now(), 'reply-1')", (cid,)).fetchone()[0]
    pid2 = c2.execute("SELECT pg_backend_pid()").fetchone()[0]
    t, out = in_thread(lambda: c2.execute(
        "SELECT outreach.fn_add_bit_signal(%s, 'ENGAGEMENT_REPLY', now(), 'reply-1')", (cid,)).fetchone()[0])
    assert waits_on_lock(conn, pid2), "the duplicate waits on the unique key"
    c1.commit()
    t.join(30)
    assert "error" not in out, out.get("error")
    c2.commit()
    assert out["result"] == first
    assert conn.execute("SELECT count(*) FROM outreach.bit_signals WHERE outreach_id = %s", (oid,)).fetchone()[0] == 1


def test_a_rolled_back_duplicate_lets_the_waiter_store_its_signal(conn, new_conn):
    cid, oid = _company(conn, "BITR")
    c1, c2 = new_conn(autocommit=False), new_conn(autocommit=False)
    c1.execute("SELECT outreach.fn_add_bit_signal(%s, 'ENGAGEMENT_REPLY', now(), 'reply-2')", (cid,))
    pid2 = c2.execute("SELECT pg_backend_pid()").fetchone()[0]
    t, out = in_thread(lambda: c2.execute(
        "SELECT outreach.fn_add_bit_signal(%s, 'ENGAGEMENT_REPLY', now(), 'reply-2')", (cid,)).fetchone()[0])
    assert waits_on_lock(conn, pid2)
    c1.rollback()
    t.join(30)
    assert "error" not in out, out.get("error")
    c2.commit()
    row = conn.execute("SELECT signal_id FROM outreach.bit_signals WHERE outreach_id = %s", (oid,)).fetchall()
    assert row == [(out["result"],)]
    assert _stored(conn, oid)[2] == 1


# ------------------------------------------------------------------ roles, through real logins
def test_hub_writer_login_adds_and_refreshes_reader_cannot(conn, login_role):
    cid, oid = _company(conn, "BITL")
    _name, hw = login_role("outreach_hub_writer")
    sid = hw.execute("SELECT outreach.fn_add_bit_signal(%s, 'SLOT_FILLED', now(), 'login')", (cid,)).fetchone()[0]
    assert sid is not None and _stored(conn, oid)[2] == 1
    assert hw.execute("SELECT outreach.fn_refresh_bit_scores(%s)", ([oid],)).fetchone()[0] == 1
    assert hw.execute("SELECT shq.fn_check_bit_done(%s)", (oid,)).fetchone()[0] is True
    _name, rd = login_role("outreach_reader")
    for sql, args in (("SELECT outreach.fn_add_bit_signal(%s, 'SLOT_FILLED')", (cid,)),
                      ("SELECT outreach.fn_refresh_bit_scores()", None),
                      ("SELECT * FROM outreach.bit_scores", None)):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            rd.execute(sql, args)
    assert rd.execute("SELECT outreach.fn_score_tier(50)").fetchone()[0] == "HOT"


# ------------------------------------------------------------------ pyctl bit explain
def test_pyctl_bit_explain(conn, dsn, run_pyctl):
    cid, oid = _company(conn, "BITX")
    conn.execute("SELECT outreach.fn_add_bit_signal(%s, 'DOL_RENEWAL_PROXIMITY', %s)", (cid, T0 - dt.timedelta(days=10)))
    conn.execute("SELECT outreach.fn_add_bit_signal(%s, 'DOMAIN_VERIFIED', %s)", (cid, T0 - dt.timedelta(days=100)))
    p = run_pyctl(["bit", "explain", cid, "--as-of", T0.isoformat()], dsn)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "DOL_RENEWAL_PROXIMITY" in out and "DOMAIN_VERIFIED" in out
    assert "0.925875" in out and "23.1469" in out, out       # 0.5^(10/90), 25 x that
    assert "score 33.15" in out and "tier WARM" in out, out

    p = run_pyctl(["bit", "explain", str(oid), "--as-of", T0.isoformat(), "--format", "json"], dsn)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["company_unique_id"] == cid and doc["score"] == "33.15" and len(doc["signals"]) == 2
    assert Decimal(doc["total"]).quantize(Decimal("0.01")) == Decimal("33.15")

    p = run_pyctl(["bit", "explain", "NO-SUCH-COMPANY"], dsn)
    assert p.returncode == 1
    assert [ln for ln in p.stderr.splitlines() if ln.strip()] == [
        "pyctl: unknown company NO-SUCH-COMPANY: not a company_unique_id or outreach_id of the spine"]
    p = run_pyctl(["bit", "explain", cid, "--as-of", "not-a-time"], dsn)
    assert p.returncode == 1 and "invalid --as-of" in p.stderr and "Traceback" not in p.stderr
    p = run_pyctl(["bit", "explain", cid, "--as-of", (T0 - dt.timedelta(days=1000)).isoformat()], dsn)
    assert p.returncode == 0 and "no signals at or before as_of: score 0 (COLD)" in p.stdout
