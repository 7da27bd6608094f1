"""outreach.fn_rebuild_company_eligibility_range (docs/maintained-eligibility.md):
the whole-table rebuild restricted to a range of company_unique_id, so that
pyctl seed rebuilds disjoint ranges in concurrent sessions. Each range
repairs its own companies only, a first fill gives exactly the from-scratch
rows, two sessions on disjoint ranges do not wait for each other, and a
blank bound or an empty range is refused."""
from __future__ import annotations

import psycopg
import pytest

from helpers import make_company

DRIFT_SQL = "SELECT company_unique_id FROM outreach.fn_company_eligibility_drift() ORDER BY 1"
RANGE_SQL = "SELECT outreach.fn_rebuild_company_eligibility_range(%s, %s)"


def _behind_the_back(conn, stmt: str, params=()) -> None:
    """A change the triggers do not see (a replica-mode session, as a data-only restore)."""
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(stmt, params)


def test_each_range_repairs_its_own_companies_only(conn):
    low, high = make_company(conn, 1, cid="ERA-1"), make_company(conn, 0, cid="ERB-1")
    for cid in (low, high):
        _behind_the_back(conn, "UPDATE cl.company_identity SET eligibility_status = 'INELIGIBLE'"
                               " WHERE company_unique_id = %s", (cid,))
    assert [r[0] for r in conn.execute(DRIFT_SQL)] == [low, high]
    assert conn.execute(RANGE_SQL, ("ERA-", "ERB-")).fetchone()[0] == 1
    assert [r[0] for r in conn.execute(DRIFT_SQL)] == [high]
    assert conn.execute(RANGE_SQL, ("ERB-", None)).fetchone()[0] == 1
    assert conn.execute(DRIFT_SQL).fetchall() == []
    # a fixpoint: the whole range again changes nothing
    assert conn.execute(RANGE_SQL, (None, None)).fetchone()[0] == 0


def test_a_first_fill_of_a_range_gives_the_from_scratch_rows(conn):
    cids = [make_company(conn, tier, cid=f"ERF-{tier + 1}") for tier in (-1, 0, 1, 2, 3)]
    outside = make_company(conn, 2, cid="ERG-1")
    before_outside = conn.execute("SELECT e::text FROM outreach.company_eligibility e WHERE company_unique_id = %s",
                                  (outside,)).fetchone()
    with conn.transaction():
        # the range's rows gone, as in a freshly loaded database (the owner, sanctioned)
        conn.execute("SET LOCAL ROLE outreach_owner")
        conn.execute("SELECT set_config('shq.sanctioned_writer', 'outreach.company_eligibility', true)")
        conn.execute("DELETE FROM outreach.company_eligibility WHERE company_unique_id LIKE 'ERF-%'")
    assert [r[0] for r in conn.execute(DRIFT_SQL)] == cids
    assert conn.execute(RANGE_SQL, ("ERF-", "ERG-")).fetchone()[0] == len(cids)
    assert conn.execute(DRIFT_SQL).fetchall() == []
    assert conn.execute("SELECT e::text FROM outreach.company_eligibility e WHERE company_unique_id = %s",
                        (outside,)).fetchone() == before_outside


def test_a_company_not_in_the_spine_loses_its_row(conn):
    kept = make_company(conn, 1, cid="ERD-1")
    with conn.transaction():
        # a row left behind by a company no longer in the spine (the owner, sanctioned)
        conn.execute("SET LOCAL ROLE outreach_owner")
        conn.execute("SELECT set_config('shq.sanctioned_writer', 'outreach.company_eligibility', true)")
        conn.execute("INSERT INTO outreach.company_eligibility SELECT 'ERD-2', outreach_id, eligibility_status,"
                     " outreach_status, required_passed, optional_passed, required_failed, has_campaign_ready_person,"
                     " bit_score, score_tier, NULL, NULL, NULL, NULL, NULL, computed_tier"
                     " FROM outreach.company_eligibility WHERE company_unique_id = %s", (kept,))
    assert [r[0] for r in conn.execute(DRIFT_SQL)] == ["ERD-2"]
    assert conn.execute(RANGE_SQL, ("ERD-", "ERE-")).fetchone()[0] == 1
    assert [r[0] for r in conn.execute("SELECT company_unique_id FROM outreach.company_eligibility"
                                       " WHERE company_unique_id LIKE 'ERD-%' ORDER BY 1")] == [kept]
    assert conn.execute(DRIFT_SQL).fetchall() == []


def test_disjoint_ranges_rebuild_concurrently_and_the_whole_table_waits(conn, new_conn):
    make_company(conn, 1, cid="ERC-1")
    make_company(conn, 2, cid="ERC-2")
    first = new_conn(autocommit=False)
    first.execute(RANGE_SQL, (None, "ERC-2"))  # open: its rows stay locked until it ends
    other = new_conn()
    other.execute("SET lock_timeout = '2s'")
    assert other.execute(RANGE_SQL, ("ERC-2", None)).fetchone()[0] == 0
    # the whole-table rebuild excludes every other writer: it waits for the open range
    with pytest.raises(psycopg.errors.LockNotAvailable):
        other.execute("SELECT outreach.fn_rebuild_company_eligibility()")
    first.rollback()


@pytest.mark.parametrize("bounds", [("ERX-2", "ERX-2"), ("ERX-3", "ERX-1"), ("  ", None), (None, "")])
def test_a_blank_bound_or_an_empty_range_is_refused(conn, bounds):
    with pytest.raises(psycopg.Error) as e:
        conn.execute(RANGE_SQL, bounds)
    assert e.value.sqlstate == "22023"
    assert e.value.diag.message_hint


def test_only_the_owner_may_rebuild_a_range(conn):
    for role in ("outreach_hub_writer", "outreach_reader", "outreach_sender"):
        with conn.transaction():
            conn.execute(f"SET LOCAL ROLE {role}")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(RANGE_SQL, (None, None))
            raise psycopg.Rollback()
