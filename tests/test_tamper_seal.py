"""Sealing: shq.fn_seal_audit_tables seals every final row exactly
once, in consecutive chained ranges, never skips an id that commits late,
never blocks inserters, and two sealers never interleave. Real commits,
several connections."""
from __future__ import annotations

import random
import threading
import time

import psycopg
import pytest
from psycopg.rows import dict_row

from pyctl.tamper import seal

#: the tables filled here need no other data
TABLES = {"shq.audit_log": "audit_id", "shq.tool_violations": "violation_id",
          "outreach.send_attempt_audit": "audit_seq", "outreach.override_audit_log": "audit_id"}
INSERT = {
    "shq.audit_log": "INSERT INTO shq.audit_log (event_type, details) VALUES ('SEAL_TEST', %s::jsonb)",
    "shq.tool_violations": "INSERT INTO shq.tool_violations (violation_code, severity, disposition, message,"
                           " gate_state) VALUES ('V-TOOL-001', 'LOW', 'PARK', 'seal test', %s::jsonb)",
    "outreach.send_attempt_audit": "INSERT INTO outreach.send_attempt_audit (company_unique_id, campaign_id,"
                                   " correlation_id, channel, was_blocked, block_reason) VALUES ('SEAL-CO',"
                                   " 'SEAL-C', %s, 'EMAIL', true, 'ELIGIBILITY_CHECK_FAILED')",
    "outreach.override_audit_log": "INSERT INTO outreach.override_audit_log (override_id, company_unique_id, action,"
                                   " override_type, reason, actor) VALUES (gen_random_uuid(), 'SEAL-CO', 'SET',"
                                   " 'BLOCK_EMAIL', %s, 'tester')",
}


def _insert(conn, table: str, n: int = 1) -> None:
    for i in range(n):
        conn.execute(INSERT[table], ('{"i": %d}' % i,))


def _seal(conn, **kw) -> list[dict]:
    args = ", ".join(f"{k} => %({k})s" for k in kw)
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(f"SELECT * FROM shq.fn_seal_audit_tables({args})", kw).fetchall()


def _coverage(conn, table: str) -> dict:
    """How the seals of `table` cover its rows."""
    key = TABLES.get(table) or {"outreach.bit_signals": "signal_id", "outreach.engagement_events": "event_id"}[table]
    seals = conn.execute("SELECT first_id, last_id, row_count FROM shq.audit_seals WHERE table_name = %s"
                         " ORDER BY seal_id", (table,)).fetchall()
    ids = [r[0] for r in conn.execute(f"SELECT {key} FROM {table} ORDER BY 1").fetchall()]
    head = seals[-1][1] if seals else None
    return {"seals": seals, "ids": ids, "head": head,
            "sealed_rows": sum(s[2] for s in seals),
            "rows_up_to_head": len([i for i in ids if head is not None and i <= head]),
            "contiguous": all(b[0] == a[1] + 1 for a, b in zip(seals, seals[1:])),
            "unsealed": [i for i in ids if head is None or i > head]}


def _all_ok(conn) -> bool:
    return {r[0] for r in conn.execute("SELECT status FROM shq.fn_verify_audit_seals()").fetchall()} == {"OK"}


def test_seals_everything_in_chained_consecutive_chunks(conn):
    _insert(conn, "shq.audit_log", 25)
    _insert(conn, "shq.tool_violations", 3)
    made = _seal(conn, p_max_rows=10)
    per_table = {}
    for r in made:
        per_table.setdefault(r["table_name"], []).append(r)
    counts = [r["row_count"] for r in per_table["shq.audit_log"]]
    assert len(counts) >= 3 and all(n == 10 for n in counts[:-1]) and 1 <= counts[-1] <= 10, counts
    for table in ("shq.audit_log", "shq.tool_violations"):
        cov = _coverage(conn, table)
        assert cov["contiguous"] and cov["unsealed"] == [] and cov["sealed_rows"] == len(cov["ids"]), cov
    # the chain: every seal names its predecessor's digest
    broken = conn.execute(
        "SELECT count(*) FROM (SELECT prev_digest, lag(digest) OVER (PARTITION BY table_name ORDER BY seal_id) AS p"
        " FROM shq.audit_seals) s WHERE s.prev_digest IS DISTINCT FROM s.p").fetchone()[0]
    assert broken == 0
    assert all(len(r["digest"]) == 64 for r in made)
    # nothing new: nothing sealed, and a second run seals only the new rows
    assert _seal(conn) == []
    _insert(conn, "shq.audit_log", 2)
    again = _seal(conn)
    assert [(r["table_name"], r["row_count"]) for r in again] == [("shq.audit_log", 2)]
    assert again[0]["first_id"] == per_table["shq.audit_log"][-1]["last_id"] + 1
    assert _all_ok(conn)


def test_bad_arguments_change_nothing(conn):
    _insert(conn, "shq.audit_log", 1)
    before = conn.execute("SELECT count(*) FROM shq.audit_seals").fetchone()[0]
    for kw in ({"p_max_rows": 0}, {"p_max_rows": None}, {"p_max_wait": "-1 second"}, {"p_max_wait": None}):
        with pytest.raises(psycopg.errors.lookup("22023")):
            _seal(conn, **kw)
    assert conn.execute("SELECT count(*) FROM shq.audit_seals").fetchone()[0] == before


def test_refuses_to_run_outside_read_committed(new_conn):
    c = new_conn(autocommit=False)
    c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    with pytest.raises(psycopg.errors.lookup("25000"), match="READ COMMITTED"):
        c.execute("SELECT * FROM shq.fn_seal_audit_tables()")
    c.rollback()


def test_roles(conn, login_role):
    _insert(conn, "shq.audit_log", 1)
    _, gov = login_role("outreach_governor")
    gov.execute("SELECT * FROM shq.fn_seal_audit_tables()")
    assert {r[0] for r in gov.execute("SELECT status FROM shq.fn_verify_audit_seals()").fetchall()} == {"OK"}
    # one chain head per sealed table of the registry
    assert gov.execute("SELECT count(*) FROM shq.fn_audit_chain_heads()").fetchone()[0] == \
        gov.execute("SELECT count(*) FROM shq.fn_audit_sealed_tables()").fetchone()[0] == 10
    for group in ("outreach_reader", "outreach_sender", "outreach_hub_writer"):
        _, other = login_role(group)
        for call in ("SELECT * FROM shq.fn_seal_audit_tables()", "SELECT * FROM shq.fn_verify_audit_seals()"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                other.execute(call)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            other.execute("INSERT INTO shq.audit_seals (table_name, id_column, first_id, last_id, row_count,"
                          " columns, row_digest, digest) VALUES ('x', 'y', 1, 1, 1, '{a}', sha256(''), sha256(''))")


@pytest.mark.parametrize("statement", ["UPDATE shq.audit_seals SET row_count = row_count",
                                       "DELETE FROM shq.audit_seals", "TRUNCATE shq.audit_seals",
                                       "UPDATE shq.audit_seal_tombstones SET sanctioned = true",
                                       "DELETE FROM shq.audit_seal_tombstones", "TRUNCATE shq.audit_seal_tombstones"])
def test_seals_and_tombstones_are_append_only(conn, statement):
    _insert(conn, "shq.audit_log", 1)
    _seal(conn)
    before = conn.execute("SELECT count(*), string_agg(encode(digest, 'hex'), ',' ORDER BY seal_id)"
                          " FROM shq.audit_seals").fetchone()
    for setup in ("", "SET LOCAL session_replication_role = replica", "SET LOCAL ROLE outreach_owner"):
        with pytest.raises(psycopg.Error) as err:
            with conn.transaction():
                if setup:
                    conn.execute(setup)
                conn.execute(statement)
        assert err.value.sqlstate == "OG004", (setup, err.value)
    assert conn.execute("SELECT count(*), string_agg(encode(digest, 'hex'), ',' ORDER BY seal_id)"
                        " FROM shq.audit_seals").fetchone() == before


def test_a_late_committing_lower_id_is_never_skipped(conn, new_conn):
    """A holds id n uncommitted while id n+1 commits: a run that cannot wait
    for A seals nothing; once A commits, both are sealed, n included."""
    _seal(conn)
    a = new_conn(autocommit=False)
    a.execute(INSERT["shq.audit_log"], ('{"who": "A"}',))
    low = a.execute("SELECT max(audit_id) FROM shq.audit_log").fetchone()[0]
    _insert(conn, "shq.audit_log", 1)
    high = conn.execute("SELECT max(audit_id) FROM shq.audit_log").fetchone()[0]
    assert high > low
    notices = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary))
    t0 = time.monotonic()
    assert _seal(conn, p_max_wait="0.5 seconds") == []
    assert time.monotonic() - t0 < 5
    assert any("sealing postponed" in n for n in notices), notices
    # the sealer waits for A while A commits
    threading.Timer(0.5, a.commit).start()
    made = _seal(conn, p_max_wait="20 seconds")
    assert [(r["table_name"]) for r in made] == ["shq.audit_log"]
    cov = _coverage(conn, "shq.audit_log")
    assert low in cov["ids"] and cov["unsealed"] == [] and cov["sealed_rows"] == len(cov["ids"]), cov
    assert _all_ok(conn)


def test_a_rolled_back_id_leaves_a_gap_that_seals_fine(conn, new_conn):
    _seal(conn)
    a = new_conn(autocommit=False)
    _insert(a, "shq.tool_violations", 3)
    a.rollback()
    _insert(conn, "shq.tool_violations", 2)
    made = _seal(conn)
    assert [(r["table_name"], r["row_count"]) for r in made] == [("shq.tool_violations", 2)]
    assert _all_ok(conn)


def test_inserters_are_not_blocked_by_a_waiting_sealer(conn, new_conn):
    """While the sealer waits for an open transaction, other sessions insert
    into every audited table without waiting."""
    _seal(conn)
    holder = new_conn(autocommit=False)
    _insert(holder, "shq.audit_log", 1)
    sealer_result = {}

    def run_sealer():
        c = new_conn()
        sealer_result["rows"] = _seal(c, p_max_wait="4 seconds")

    t = threading.Thread(target=run_sealer)
    t.start()
    time.sleep(0.5)
    inserter = new_conn()
    slowest = 0.0
    for table in TABLES:
        for _ in range(5):
            t0 = time.monotonic()
            _insert(inserter, table, 1)
            slowest = max(slowest, time.monotonic() - t0)
    assert t.is_alive(), "the sealer should still be waiting for the open transaction"
    holder.commit()
    t.join(30)
    assert not t.is_alive()
    assert slowest < 1.0, slowest
    _seal(conn)
    for table in TABLES:
        cov = _coverage(conn, table)
        assert cov["unsealed"] == [] and cov["sealed_rows"] == len(cov["ids"]), (table, cov)
    assert _all_ok(conn)


def test_two_sealers_never_seal_a_row_twice(conn, new_conn):
    _insert(conn, "shq.audit_log", 2000)
    results = []
    barrier = threading.Barrier(2)

    def run():
        c = new_conn()
        barrier.wait()
        results.append(_seal(c, p_max_rows=100))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    cov = _coverage(conn, "shq.audit_log")
    assert cov["unsealed"] == [] and cov["contiguous"] and cov["sealed_rows"] == len(cov["ids"]), cov
    assert _all_ok(conn)


def test_concurrent_inserts_while_sealing_every_row_sealed_once(conn, new_conn):
    """Inserters (autocommit, multi-row transactions held open a little,
    rolled-back ones) run while a sealer loops; once they stop and the sealer
    catches up, every committed row is sealed, exactly once, and the chain
    verifies."""
    _seal(conn)
    stop = time.monotonic() + 6.0
    errors: list[str] = []
    committed = {t: 0 for t in TABLES}
    lock = threading.Lock()

    def inserter(k):
        rnd = random.Random(k)
        c = new_conn(autocommit=False)
        try:
            while time.monotonic() < stop:
                table = rnd.choice(list(TABLES))
                n = rnd.randint(1, 5)
                _insert(c, table, n)
                if rnd.random() < 0.3:
                    time.sleep(rnd.random() * 0.05)  # hold the ids a while
                if rnd.random() < 0.1:
                    c.rollback()
                    continue
                c.commit()
                with lock:
                    committed[table] += n
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    def sealer():
        c = new_conn()
        try:
            while time.monotonic() < stop:
                _seal(c, p_max_wait="2 seconds", p_max_rows=50)
                time.sleep(0.05)
        except Exception as e:  # noqa: BLE001
            errors.append(repr(e))

    threads = [threading.Thread(target=inserter, args=(k,)) for k in range(4)] + [threading.Thread(target=sealer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    _seal(conn)
    for table in TABLES:
        cov = _coverage(conn, table)
        assert cov["unsealed"] == [], (table, cov["unsealed"])
        assert cov["contiguous"], table
        assert cov["sealed_rows"] == len(cov["ids"]) == cov["rows_up_to_head"], (table, cov["sealed_rows"])
    assert sum(committed.values()) > 50
    assert _all_ok(conn)


def test_open_transactions_of_other_databases_do_not_stall_sealing(conn, admin):
    """Another database's long transaction holds no id of this one."""
    admin.execute("BEGIN")
    admin.execute("SELECT txid_current()")
    try:
        _insert(conn, "shq.audit_log", 1)
        t0 = time.monotonic()
        made = _seal(conn, p_max_wait="3 seconds")
        assert time.monotonic() - t0 < 2.5
        assert [r["table_name"] for r in made] == ["shq.audit_log"]
    finally:
        admin.execute("ROLLBACK")


def test_python_seal_function(dsn, conn):
    _insert(conn, "shq.tool_violations", 4)
    rows = seal(dsn)
    assert [(r["table_name"], r["row_count"]) for r in rows] == [("shq.tool_violations", 4)]
    assert seal(dsn) == []


CANON_SETTINGS = ("SET LOCAL TimeZone = 'UTC'", "SET LOCAL IntervalStyle = 'postgres'",
                  "SET LOCAL DateStyle = 'ISO, MDY'", "SET LOCAL extra_float_digits = 1")


def _live_vs_tombstone(conn, table: str, columns: list[str]) -> list[tuple]:
    """Rows whose canonical text differs between the live row and the same row
    rebuilt from to_jsonb(row), as a tombstone keeps it."""
    live = conn.execute("SELECT shq._audit_row_text_sql(%s::regclass, %s, 'zz_row')", (table, columns)).fetchone()[0]
    tomb = conn.execute("SELECT shq._audit_row_text_sql(%s::regclass, %s, 'zz_q.zz_json', true)",
                        (table, columns)).fetchone()[0]
    return conn.execute(f"SELECT {live}, zz_x.txt FROM {table} zz_row CROSS JOIN LATERAL"
                        f" (SELECT {tomb} AS txt FROM (SELECT to_jsonb(zz_row.*) AS zz_json) zz_q) zz_x"
                        f" WHERE {live} <> zz_x.txt").fetchall()


def test_canonical_text_of_a_live_row_equals_its_tombstone_text_for_every_type(conn):
    with conn.transaction() as tx:
        for s in CANON_SETTINGS:
            conn.execute(s)
        conn.execute(
            "CREATE TEMP TABLE zz_types (id bigint, f float8, f4 real, a text[], j json, jb jsonb, iv interval,"
            " b bytea, ts timestamp, tz timestamptz, d date, t time, n numeric, bo bool, u uuid, c char(3), ia int[],"
            " p point, ip inet, big float8, vc varchar(10), i2 int2, i4 int4, r record_t)"
            .replace(", r record_t", ", r int4range"))
        conn.execute(
            "INSERT INTO zz_types VALUES (1, 0.1, 1.5, ARRAY['a', 'b\"'], '{\"b\": [1,2],   \"a\":1}',"
            " '{\"z\": null, \"a\": [1, 2.50]}', '1 day 02:03:04.5', '\\xdeadbeef', now(), now(), current_date,"
            " '12:34:56', 1.50, true, gen_random_uuid(), 'ab', ARRAY[1, 2], point(1, 2), '10.0.0.1/8', 1e300,"
            " 'x€y', 7, -7, '[1,5)'),"
            " (2, 'NaN', '-Infinity', '{}', '[]', '\"s\"', '-1 mons', '', '-infinity', 'infinity', '-infinity',"
            " '00:00', 'NaN', false, NULL, NULL, NULL, NULL, NULL, -0.0, '', -1, NULL, 'empty'),"
            " (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
            " NULL, NULL, NULL, NULL, NULL, NULL, NULL)")
        cols = [r[0] for r in conn.execute("SELECT attname FROM pg_attribute WHERE attrelid = 'zz_types'::regclass"
                                           " AND attnum > 0 ORDER BY attnum").fetchall()]
        assert _live_vs_tombstone(conn, "zz_types", cols) == []
        raise psycopg.Rollback(tx)


@pytest.mark.parametrize("table", ["outreach.bit_signals", "outreach.engagement_events",
                                   "outreach.override_audit_log", "outreach.send_attempt_audit", "shq.audit_log",
                                   "shq.tool_violations"])
def test_canonical_text_of_each_audited_table_survives_a_tombstone(conn, table):
    _insert(conn, "shq.audit_log", 2)
    _insert(conn, "outreach.override_audit_log", 2)
    with conn.transaction() as tx:
        for s in CANON_SETTINGS:
            conn.execute(s)
        cols = [r[0] for r in conn.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass"
                                           " AND attnum > 0 AND NOT attisdropped ORDER BY attnum", (table,)).fetchall()]
        assert _live_vs_tombstone(conn, table, cols) == []
        raise psycopg.Rollback(tx)


def test_a_dropped_sealed_column_is_an_error_not_a_pass(conn):
    with pytest.raises(psycopg.errors.UndefinedColumn, match="no longer in"):
        conn.execute("SELECT shq._audit_row_text_sql('shq.audit_log', ARRAY['audit_id', 'gone'], 't')")
