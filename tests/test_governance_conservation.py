"""Error governance with real commits and several connections (docs/reference/governance.md):
every error row ends in exactly one of its table and its archive — with three
concurrent archivers and a writer, when the archiver's backend is killed
mid-batch, when a trigger suppresses archive rows, when a lock is held — and
batches are bounded exactly."""
from __future__ import annotations

import threading
import time

import psycopg
import pytest

from helpers import race
from pyctl import governance as gov

TABLE = "outreach.dol_errors"
ARCHIVE = "outreach.dol_errors_archive"


# ------------------------------------------------------------------ helpers
@pytest.fixture
def clean(conn):
    """Empty governed tables and archives before and after each test; drop any test-only trigger."""
    def wipe():
        for t in ("outreach.dol_errors", "outreach.company_target_errors", "people.people_errors",
                  "company.url_discovery_failures", "public.shq_error_log"):
            conn.execute(f"DROP TRIGGER IF EXISTS zz_test_slow ON {t}_archive")
            conn.execute(f"DROP TRIGGER IF EXISTS zz_test_suppress ON {t}_archive")
            conn.execute(f"DROP TRIGGER IF EXISTS zz_test_count ON {t}_archive")
            conn.execute(f"DELETE FROM {t}")
            conn.execute(f"DELETE FROM {t}_archive")
    wipe()
    yield conn
    wipe()


def add_errors(conn, n, table=TABLE, age="10 days", tier="SHORT", disposition="RETRY", code="EXPIRED"):
    """n rows created `age` ago; returns their ids."""
    rows = conn.execute(
        f"INSERT INTO {table} (failure_code, created_at, ttl_tier, disposition, parked_at)"
        " SELECT %s, now() - %s::interval - i * interval '1 second', %s::shq.ttl_tier, %s::shq.error_disposition,"
        "        CASE WHEN %s = 'PARKED' THEN now() END"
        "   FROM generate_series(1, %s) i RETURNING error_id",
        (code, age, tier, disposition, disposition, n)).fetchall()
    return {r[0] for r in rows}


def ids(conn, table):
    return {r[0] for r in conn.execute(f"SELECT error_id FROM {table}").fetchall()}


def assert_each_row_in_exactly_one_table(conn, expected_ids, table=TABLE):
    live, archived = ids(conn, table), ids(conn, table + "_archive")
    assert live & archived == set(), f"rows in both tables: {sorted(live & archived)[:10]}"
    assert live | archived == expected_ids, (
        f"lost: {sorted(expected_ids - (live | archived))[:10]}, unexpected: {sorted((live | archived) - expected_ids)[:10]}")
    return live, archived


def install_sleep_trigger(conn, archive=ARCHIVE, seconds=0.05, after_rows=0):
    """Test-only: every INSERT statement into `archive` sleeps `seconds` once
    the archive holds at least `after_rows` rows (a slowed batch)."""
    # in public, SECURITY DEFINER: the archive INSERT runs as outreach_owner
    conn.execute(f"""
        CREATE OR REPLACE FUNCTION public.zz_test_slow() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
        BEGIN
            IF (SELECT count(*) FROM {archive}) >= {int(after_rows)} THEN
                PERFORM pg_sleep({float(seconds)});
            END IF;
            RETURN NULL;
        END $$""")
    conn.execute(f"CREATE TRIGGER zz_test_slow AFTER INSERT ON {archive} FOR EACH STATEMENT"
                 " EXECUTE FUNCTION public.zz_test_slow()")


def wait_for(pred, timeout=30.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


# ------------------------------------------------------------------ concurrency
def test_three_concurrent_archivers_and_a_writer_lose_and_copy_nothing(clean, new_conn):
    conn = clean
    expired = add_errors(conn, 6000)
    fresh = add_errors(conn, 300, age="1 hour", code="FRESH")
    parked = add_errors(conn, 50, age="400 days", disposition="PARKED", code="PARKED")
    infinite = add_errors(conn, 50, age="400 days", tier="INFINITE", code="INFINITE")
    other = add_errors(conn, 500, table="people.people_errors")
    install_sleep_trigger(conn, seconds=0.03)   # batches overlap for sure
    total_before = len(expired | fresh | parked | infinite)

    archivers = [new_conn() for _ in range(3)]
    writer = new_conn()
    barrier = threading.Barrier(4)
    results: list[dict] = [{} for _ in range(3)]
    errors: list[BaseException] = []
    done = threading.Event()
    written: set[int] = set()

    def archive(i):
        barrier.wait()
        try:
            results[i] = {r[0]: r[1] for r in archivers[i].execute(
                "SELECT * FROM shq.fn_archive_expired_errors_batched(200)").fetchall()}
        except BaseException as e:  # noqa: BLE001 - asserted below
            errors.append(e)

    def write():
        barrier.wait()
        try:
            while not done.is_set():
                # a fresh error and an already expired one, each its own commit
                written.add(writer.execute("SELECT shq.fn_record_error(%s, NULL, 'WRITER', 'during the run')",
                                           (TABLE,)).fetchone()[0])
                written.add(writer.execute(
                    f"INSERT INTO {TABLE} (failure_code, created_at, ttl_tier) VALUES ('WRITER_OLD', now() - interval '30 days',"
                    " 'SHORT') RETURNING error_id").fetchone()[0])
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=archive, args=(i,)) for i in range(3)] + [threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads[:3]:
        t.join(300)
    done.set()
    threads[3].join(60)
    assert errors == []
    assert len(written) > 0, "the writer inserted during the run"

    live, archived = assert_each_row_in_exactly_one_table(conn, expired | fresh | parked | infinite | written)
    moved = [r.get(TABLE, 0) for r in results]
    assert sum(moved) == len(archived), f"the archivers' counts {moved} add up to the archive's rows"
    assert sum(1 for m in moved if m > 0) >= 2, f"the archivers really ran side by side: {moved}"
    assert expired <= archived, "every row expired before the run was archived"
    assert (fresh | parked | infinite) <= live, "fresh, PARKED and INFINITE rows stayed"
    assert sum(r.get("people.people_errors", 0) for r in results) == 500
    assert ids(conn, "people.people_errors_archive") == other
    assert len(live) + len(archived) == total_before + len(written)

    # the writer's expired rows that came too late go with the next run
    conn.execute(f"DROP TRIGGER zz_test_slow ON {ARCHIVE}")
    conn.execute("SELECT * FROM shq.fn_archive_expired_errors()")
    live2, archived2 = assert_each_row_in_exactly_one_table(conn, expired | fresh | parked | infinite | written)
    assert conn.execute(f"SELECT count(*) FROM {TABLE} WHERE failure_code = 'WRITER_OLD'").fetchone()[0] == 0
    assert conn.execute(f"SELECT count(*) FROM {TABLE} WHERE failure_code = 'WRITER'").fetchone()[0] == len(written) // 2


def test_backend_killed_mid_batch_leaves_every_row_where_it_was(clean, new_conn):
    conn = clean
    rows = add_errors(conn, 1500)
    install_sleep_trigger(conn, seconds=60, after_rows=1000)   # the 2nd batch of 500 hangs
    victim = new_conn()
    pid = victim.execute("SELECT pg_backend_pid()").fetchone()[0]
    outcome: list[BaseException | object] = []

    def run():
        try:
            outcome.append(victim.execute("SELECT * FROM shq.fn_archive_expired_errors_batched(500)").fetchall())
        except BaseException as e:  # noqa: BLE001
            outcome.append(e)

    t = threading.Thread(target=run)
    t.start()
    assert wait_for(lambda: conn.execute("SELECT wait_event FROM pg_stat_activity WHERE pid = %s",
                                         (pid,)).fetchone()[0] == "PgSleep"), "the batch never reached the slow trigger"
    assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0] is True
    t.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], psycopg.Error), outcome
    live, archived = assert_each_row_in_exactly_one_table(conn, rows)
    assert (len(live), len(archived)) == (1500, 0), "one call is one transaction: the killed call moved nothing"

    conn.execute(f"DROP TRIGGER zz_test_slow ON {ARCHIVE}")
    assert dict(conn.execute("SELECT * FROM shq.fn_archive_expired_errors()").fetchall())[TABLE] == 1500
    assert_each_row_in_exactly_one_table(conn, rows)
    assert ids(conn, ARCHIVE) == rows


def test_killed_during_committed_batches_keeps_the_committed_ones(clean, new_conn, dsn):
    """`pyctl governance archive` commits per batch: a kill during batch 3
    keeps batches 1-2 archived and batch 3 in place."""
    conn = clean
    rows = add_errors(conn, 1000)
    install_sleep_trigger(conn, seconds=60, after_rows=600)   # the 3rd batch of 200 hangs
    victim = new_conn()
    pid = victim.execute("SELECT pg_backend_pid()").fetchone()[0]
    outcome: list = []

    def run():
        try:
            outcome.append(gov.archive_expired(victim, batch_size=200))
        except BaseException as e:  # noqa: BLE001
            outcome.append(e)

    t = threading.Thread(target=run)
    t.start()
    assert wait_for(lambda: conn.execute("SELECT wait_event FROM pg_stat_activity WHERE pid = %s",
                                         (pid,)).fetchone()[0] == "PgSleep")
    conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    t.join(60)
    assert len(outcome) == 1 and isinstance(outcome[0], psycopg.Error), outcome
    live, archived = assert_each_row_in_exactly_one_table(conn, rows)
    assert len(archived) == 400, "two committed batches of 200 stay archived, the killed third is rolled back"


# ------------------------------------------------------------------ batches
def _count_insert_statements(conn, archive=ARCHIVE):
    conn.execute("CREATE TABLE IF NOT EXISTS public.zz_test_statements (n int)")
    conn.execute("DELETE FROM public.zz_test_statements")
    conn.execute("""CREATE OR REPLACE FUNCTION public.zz_test_count() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
                    BEGIN INSERT INTO public.zz_test_statements VALUES ((SELECT count(*) FROM newrows)); RETURN NULL; END $$""")
    conn.execute(f"CREATE TRIGGER zz_test_count AFTER INSERT ON {archive} REFERENCING NEW TABLE AS newrows"
                 " FOR EACH STATEMENT EXECUTE FUNCTION public.zz_test_count()")


@pytest.mark.parametrize("n,batch,expected", [(101, 100, [100, 1]), (100, 100, [100, 0]), (250, 100, [100, 100, 50])])
def test_batch_size_bounds_each_statement(clean, n, batch, expected):
    """batch size + 1 rows: exactly two batches (the second moving one row);
    a full last batch costs one empty statement more."""
    conn = clean
    rows = add_errors(conn, n)
    _count_insert_statements(conn)
    notices = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary))
    conn.execute("SET client_min_messages = debug1")
    try:
        got = dict(conn.execute("SELECT * FROM shq.fn_archive_expired_errors_batched(%s)", (batch,)).fetchall())
    finally:
        conn.execute("RESET client_min_messages")
    assert got[TABLE] == n
    sizes = [r[0] for r in conn.execute("SELECT n FROM public.zz_test_statements").fetchall()]
    assert sizes == expected
    batch_notices = [m for m in notices if m.startswith(f"shq.fn_archive_expired_errors: {TABLE} batch")]
    assert len(batch_notices) == len([s for s in expected if s > 0])
    assert_each_row_in_exactly_one_table(conn, rows)
    conn.execute(f"DROP TRIGGER zz_test_count ON {ARCHIVE}")


def test_max_batches_stops_early(clean):
    conn = clean
    add_errors(conn, 35)
    got = dict(conn.execute("SELECT * FROM shq.fn_archive_expired_errors_batched(10, 2)").fetchall())
    assert got[TABLE] == 20
    assert conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0] == 15


# ------------------------------------------------------------------ refusals
def test_a_suppressed_archive_row_raises_and_nothing_moves(clean):
    conn = clean
    rows = add_errors(conn, 50) | add_errors(conn, 1, code="SUPPRESS")
    conn.execute("""CREATE OR REPLACE FUNCTION public.zz_test_suppress() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
                    BEGIN IF NEW.failure_code = 'SUPPRESS' THEN RETURN NULL; END IF; RETURN NEW; END $$""")
    conn.execute(f"CREATE TRIGGER zz_test_suppress BEFORE INSERT ON {ARCHIVE} FOR EACH ROW"
                 " EXECUTE FUNCTION public.zz_test_suppress()")
    with pytest.raises(psycopg.Error) as ei:
        conn.execute("SELECT * FROM shq.fn_archive_expired_errors()")
    assert ei.value.sqlstate == "P0004"
    assert "deleted 51 rows but inserted 50" in str(ei.value)
    live, archived = assert_each_row_in_exactly_one_table(conn, rows)
    assert (len(live), len(archived)) == (51, 0)
    with pytest.raises(psycopg.Error) as ei:
        conn.execute("SELECT shq.fn_archive_error(%s, %s, 'r', 'a')",
                     (TABLE, conn.execute(f"SELECT error_id FROM {TABLE} WHERE failure_code = 'SUPPRESS'").fetchone()[0]))
    assert ei.value.sqlstate == "P0004"
    assert len(ids(conn, TABLE)) == 51


def test_a_long_table_lock_makes_the_archiver_fail_fast(clean, new_conn):
    conn = clean
    rows = add_errors(conn, 20)
    holder = new_conn(autocommit=False)
    holder.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
    try:
        t0 = time.monotonic()
        with pytest.raises(psycopg.Error) as ei:
            conn.execute("SELECT * FROM shq.fn_archive_expired_errors()")
        waited = time.monotonic() - t0
    finally:
        holder.rollback()
    assert ei.value.sqlstate == "55P03", ei.value
    assert waited < 5, f"waited {waited:.1f}s behind the lock"
    assert ids(conn, TABLE) == rows
    assert conn.execute("SHOW lock_timeout").fetchone()[0] == "0", "the function's lock_timeout does not leak"


def test_a_row_locked_by_a_worker_is_skipped_not_waited_for(clean, new_conn):
    conn = clean
    rows = add_errors(conn, 30)
    busy = min(rows)
    worker = new_conn(autocommit=False)
    worker.execute(f"SELECT 1 FROM {TABLE} WHERE error_id = %s FOR UPDATE", (busy,))
    try:
        t0 = time.monotonic()
        got = dict(conn.execute("SELECT * FROM shq.fn_archive_expired_errors()").fetchall())
        assert time.monotonic() - t0 < 5
    finally:
        worker.rollback()
    assert got[TABLE] == 29
    assert ids(conn, TABLE) == {busy}
    assert dict(conn.execute("SELECT * FROM shq.fn_archive_expired_errors()").fetchall())[TABLE] == 1
    assert_each_row_in_exactly_one_table(conn, rows)


def test_a_retry_racing_the_archiver_gets_a_clear_error(clean, new_conn):
    """A worker reporting on a row the archiver is moving waits for it, then
    learns the row was archived (P0002), and nothing is half-done."""
    conn = clean
    (eid,) = add_errors(conn, 1)
    install_sleep_trigger(conn, seconds=1.5)
    archiver = new_conn()
    t = threading.Thread(target=lambda: archiver.execute("SELECT * FROM shq.fn_archive_expired_errors()"))
    t.start()
    assert wait_for(lambda: conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()").fetchone()[0] == 1)
    worker = new_conn()
    with pytest.raises(psycopg.Error) as ei:
        worker.execute("SELECT shq.fn_register_retry_attempt(%s, %s, false)", (TABLE, eid))
    t.join(30)
    assert ei.value.sqlstate == "P0002"
    assert "archived" in str(ei.value)
    assert_each_row_in_exactly_one_table(conn, {eid})
    assert ids(conn, ARCHIVE) == {eid}


# ------------------------------------------------------------------ retries
def test_concurrent_failure_reports_count_every_attempt(clean, new_conn):
    conn = clean
    eid = conn.execute("SELECT shq.fn_record_error(%s, NULL, 'HTTP_500', 'x')", (TABLE,)).fetchone()[0]
    out, errors = race(new_conn, 5, lambda c: c.execute("SELECT shq.fn_register_retry_attempt(%s, %s, false)::text",
                                                        (TABLE, eid)).fetchone()[0])
    assert errors == []
    assert sorted(out) == ["PARKED", "RETRY", "RETRY", "RETRY", "RETRY"]
    assert conn.execute(f"SELECT retry_count, disposition::text FROM {TABLE} WHERE error_id = %s",
                        (eid,)).fetchone() == (5, "PARKED")


# ------------------------------------------------------------------ every job
def test_every_job_conserves_rows(clean):
    conn = clean
    expected = (add_errors(conn, 40) | add_errors(conn, 40, age="1 day")
                | add_errors(conn, 10, disposition="PARKED", age="400 days"))
    conn.execute(f"UPDATE {TABLE} SET parked_at = now() - interval '8 days' WHERE disposition = 'PARKED'")
    conn.execute(f"UPDATE {TABLE} SET retry_count = max_retries WHERE error_id IN (SELECT error_id FROM {TABLE}"
                 " WHERE disposition = 'RETRY' AND created_at > now() - interval '2 days' LIMIT 5)")
    for job in ("fn_auto_park_exhausted_retries", "fn_escalate_stale_parked_errors", "fn_archive_expired_errors",
                "fn_run_error_governance_jobs", "fn_cleanup_expired_archives"):
        conn.execute(f"SELECT * FROM shq.{job}()")
        assert_each_row_in_exactly_one_table(conn, expected)
    assert conn.execute(f"SELECT count(*) FROM {TABLE} WHERE disposition = 'PARKED'").fetchone()[0] == 15
    assert conn.execute(f"SELECT count(*) FROM {TABLE} WHERE escalation_level = 3").fetchone()[0] == 10
    # cleanup removes exactly the archive rows past retention
    conn.execute(f"UPDATE {ARCHIVE} SET retention_expires_at = now() - interval '1 second'"
                 f" WHERE error_id IN (SELECT error_id FROM {ARCHIVE} ORDER BY error_id LIMIT 7)")
    gone = {r[0] for r in conn.execute(f"SELECT error_id FROM {ARCHIVE} ORDER BY error_id LIMIT 7").fetchall()}
    assert dict(conn.execute("SELECT * FROM shq.fn_cleanup_expired_archives()").fetchall())[TABLE] == 7
    assert_each_row_in_exactly_one_table(conn, expected - gone)
