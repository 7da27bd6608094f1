"""The outbox's consumer API (docs/consuming-events.md): claim / ack / nack
with per-consumer cursors, at least once and in order per company, redelivery
after a claimer dies, poison events parked, the sequencer that never skips a
late commit, retention of acknowledged events only, and who may do what."""
from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

from campaign_support import create_campaign, override, step_id
from helpers import make_company, new_id
from outbox_support import ack, claim, drain, engage, nack, send


def consumer_name(prefix: str = "c") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def register_latest(conn, destination: str, max_attempts: int = 5, prefix: str = "c") -> str:
    """A consumer that starts after everything committed so far."""
    name = consumer_name(prefix)
    conn.execute("SELECT outreach.fn_outbox_register_consumer(%s, %s, %s, 'latest')", (name, destination, max_attempts))
    return name


def tier_events(conn, n_companies: int, prefix: str, flips: int = 2) -> list[str]:
    """Companies with a few cl TIER_CHANGED events each (override flips)."""
    ids = [make_company(conn, tier=2, prefix=prefix) for _ in range(n_companies)]
    for k in range(flips):
        for cid in ids:
            override(conn, cid, "FORCE_TIER", k % 2)
    return ids


def cl_ids(conn, companies) -> list[int]:
    return [r[0] for r in conn.execute("SELECT event_id FROM outreach.outbox_events WHERE destination = 'cl'"
                                       " AND company_unique_id = ANY(%s) ORDER BY event_id", (list(companies),))]


# ------------------------------------------------------------------ cursors
def test_two_consumers_each_see_every_event_once(conn):
    ids = tier_events(conn, 4, "OBC-TWO")
    mine = set(cl_ids(conn, ids))
    a, b = consumer_name("a"), consumer_name("b")
    got_a = drain(conn, a, "cl", limit=3)
    assert mine <= {e[0] for e in got_a} and len(got_a) == len({e[0] for e in got_a})
    # a's acknowledgements are a's: b still gets everything
    got_b = drain(conn, b, "cl", limit=50)
    assert {e[0] for e in got_b} == {e[0] for e in got_a}
    assert claim(conn, a, "cl") == [] and claim(conn, b, "cl") == []
    assert all(e[3] == 1 for e in got_a + got_b)


def test_eight_claimers_of_one_consumer_share_without_overlap_in_company_order(conn, new_conn):
    ids = tier_events(conn, 12, "OBC-EIGHT", flips=3)
    mine = cl_ids(conn, ids)
    name = consumer_name("eight")
    total = conn.execute("SELECT count(*) FROM outreach.outbox_events WHERE destination = 'cl'").fetchone()[0]
    lock = threading.Lock()
    delivered: list[tuple[int, str]] = []     # (event_id, company) in the order claims returned them
    acked = [0]
    errors = []
    conns = [new_conn() for _ in range(8)]
    barrier = threading.Barrier(8)

    def work(c):
        barrier.wait()
        empty = 0
        while empty < 3:
            try:
                batch = claim(c, name, "cl", limit=5, visibility="5 minutes")
                if not batch:
                    empty += 1
                    time.sleep(0.05)
                    continue
                empty = 0
                with lock:
                    delivered.extend((e[0], e[2]) for e in batch)
                n = ack(c, name, [e[0] for e in batch])
                with lock:
                    acked[0] += n
            except Exception as e:  # noqa: BLE001
                errors.append(e)
                return

    threads = [threading.Thread(target=work, args=(c,)) for c in conns]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    got = [e for e, _c in delivered]
    assert len(got) == len(set(got)) == total, "an event was lost or went to two claimers"
    assert acked[0] == total, "every event acknowledged exactly once"
    assert set(mine) <= set(got)
    for cid in ids:                             # in order per company
        order = [e for e, c in delivered if c == cid]
        assert order == sorted(order), cid


def test_a_late_commit_is_never_skipped(conn, new_conn):
    cid_late, cid_early = make_company(conn, tier=2, prefix="OBC-LATE"), make_company(conn, tier=2, prefix="OBC-EARLY")
    name = register_latest(conn, "cl")
    slow = new_conn(autocommit=False)
    override(slow, cid_late, "FORCE_TIER", 1)          # its event id is taken now, committed later
    late_id = slow.execute("SELECT max(event_id) FROM outreach.outbox_events").fetchone()[0]
    override(conn, cid_early, "FORCE_TIER", 1)         # a higher id, committed first
    got = claim(conn, name, "cl")
    assert [e[2] for e in got] == [cid_early] and got[0][0] > late_id
    ack(conn, name, [got[0][0]])
    slow.commit()
    got = claim(conn, name, "cl")
    assert [(e[0], e[2]) for e in got] == [(late_id, cid_late)]


# ------------------------------------------------------------------ failures
def test_a_killed_claimer_s_events_come_back_after_the_visibility_timeout(conn, new_conn):
    ids = tier_events(conn, 3, "OBC-KILL", flips=1)
    name = register_latest(conn, "cl")
    for cid in ids:
        override(conn, cid, "FORCE_TIER", 1)
    mine = {cl_ids(conn, [cid])[-1] for cid in ids}
    victim = new_conn()
    pid = victim.info.backend_pid
    first = claim(victim, name, "cl", visibility="2 seconds")
    assert {e[0] for e in first} == mine
    # mid-batch: it dies inside its acknowledgement's transaction
    victim.execute("BEGIN")
    victim.execute("SELECT outreach.fn_outbox_ack(%s, %s::bigint[])", (name, [first[0][0]]))
    conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    assert claim(conn, name, "cl") == []               # still invisible
    time.sleep(2.2)
    again = []
    while len(again) < len(mine):
        batch = claim(conn, name, "cl", visibility="30 seconds")
        assert batch, "the events did not come back"
        assert len({e[2] for e in batch}) == len(batch)  # a redelivery comes alone in its shard
        again += batch
        ack(conn, name, [e[0] for e in batch])
    assert {e[0] for e in again} == mine and all(e[3] == 2 for e in again)
    assert claim(conn, name, "cl") == []


def test_a_nacked_event_comes_back_first_then_the_rest_in_order(conn):
    cid = make_company(conn, tier=2, prefix="OBC-NACK")
    name = register_latest(conn, "cl")
    for cap in (1, 0, 1):
        override(conn, cid, "FORCE_TIER", cap)
    batch = claim(conn, name, "cl")
    assert [e[2] for e in batch] == [cid] * 3
    first, rest = batch[0][0], [e[0] for e in batch[1:]]
    assert nack(conn, name, [first], "1 second", "CL was down") == 1
    assert claim(conn, name, "cl") == []                # the shard waits for retry_in
    time.sleep(1.1)
    order = []
    for _ in range(3):
        (e,) = claim(conn, name, "cl")
        order.append((e[0], e[3]))
        ack(conn, name, [e[0]])
    assert order == [(first, 2), (rest[0], 2), (rest[1], 2)]


def test_a_poison_event_is_parked_and_the_rest_flows(conn):
    cid, other = make_company(conn, tier=2, prefix="OBC-POISON"), make_company(conn, tier=2, prefix="OBC-FINE")
    name = register_latest(conn, "cl", max_attempts=3)
    override(conn, cid, "FORCE_TIER", 1)
    (poison,) = cl_ids(conn, [cid])[-1:]
    for attempt in (1, 2, 3):
        got = claim(conn, name, "cl")
        assert [(e[0], e[3]) for e in got] == [(poison, attempt)]
        nack(conn, name, [poison], "0", f"bad payload, try {attempt}")
    override(conn, other, "FORCE_TIER", 1)
    got = claim(conn, name, "cl")                       # the 4th delivery would exceed 3: parked
    assert poison not in {e[0] for e in got} and other in {e[2] for e in got}
    ack(conn, name, [e[0] for e in got])
    parked = conn.execute("SELECT event_id, company_unique_id, attempts, last_error, event_type"
                          " FROM outreach.vw_outbox_parked WHERE consumer = %s", (name,)).fetchall()
    assert parked == [(poison, cid, 3, "bad payload, try 3", "TIER_CHANGED")]
    status = conn.execute("SELECT backlog, parked FROM outreach.fn_outbox_status() WHERE consumer = %s",
                          (name,)).fetchone()
    assert status == (0, 1)
    assert claim(conn, name, "cl") == []
    # resolving it takes a reason and an actor, and is audited
    with pytest.raises(psycopg.Error) as e:
        conn.execute("SELECT outreach.fn_outbox_resolve_parked(%s, %s, ' ', 'ops')", (name, [poison]))
    assert e.value.sqlstate == "22023"
    assert conn.execute("SELECT outreach.fn_outbox_resolve_parked(%s, %s, 'replayed by hand', 'ops')",
                        (name, [poison])).fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM outreach.vw_outbox_parked WHERE consumer = %s", (name,)).fetchone()[0] == 0


def test_the_metric_family_follows_a_consumer_for_the_monitor_role(conn, login_role):
    """outreach_outbox_* (shq.vw_metrics_outbox, docs/monitoring.md): backlog, in flight, parked, oldest age."""
    from pyctl import metrics

    cid, other = make_company(conn, tier=2, prefix="OBC-MET"), make_company(conn, tier=2, prefix="OBC-MET")
    name = register_latest(conn, "cl", max_attempts=1, prefix="met")
    _login, mon = login_role("outreach_monitor")

    def series() -> dict:
        got = {}
        for metric, labels, value in metrics.scrape(mon):
            if labels.get("consumer") == name:
                assert labels == {"destination": "cl", "consumer": name}
                got[metric.removeprefix("outreach_outbox_")] = value
        return got

    idle = {"backlog": 0, "in_flight": 0, "parked": 0, "oldest_unacked_age_seconds": 0}
    assert series() == idle
    override(conn, cid, "FORCE_TIER", 1)
    override(conn, other, "FORCE_TIER", 1)
    time.sleep(1.1)
    got = series()
    assert (got["backlog"], got["in_flight"], got["parked"]) == (2, 0, 0)
    assert 1 <= got["oldest_unacked_age_seconds"] < 60
    batch = claim(conn, name, "cl", limit=2)
    assert len(batch) == 2
    assert {k: series()[k] for k in ("backlog", "in_flight")} == {"backlog": 2, "in_flight": 2}
    poison = next(e[0] for e in batch if e[2] == cid)
    ack(conn, name, [e[0] for e in batch if e[0] != poison])
    nack(conn, name, [poison], "0", "CL refused it")
    assert claim(conn, name, "cl") == []               # its one attempt is spent: parked
    assert series() == {**idle, "parked": 1}


# ------------------------------------------------------------------ retention
def test_retention_moves_only_events_every_consumer_acknowledged(fresh_db):
    with psycopg.connect(fresh_db(), autocommit=True) as c:
        ids = [make_company(c, tier=1, prefix="OBC-RET") for _ in range(3)]
        camp = create_campaign(c, new_id("OBC-CMP"), delays=(0, 1))
        sends = [send(c, cid, camp, step_id(c, camp, 1)) for cid in ids]
        for s in sends:
            engage(c, s, "OPEN")
        analytics = [r[0] for r in c.execute("SELECT event_id FROM outreach.outbox_events"
                                              " WHERE destination = 'analytics' ORDER BY event_id")]
        assert len(analytics) == 6
        assert c.execute("SELECT count(*) FROM shq.fn_seal_audit_tables()").fetchone()[0] > 0
        nothing = c.execute("SELECT destination, archived FROM outreach.fn_outbox_archive_acked('0 seconds')"
                            " ORDER BY 1").fetchall()
        assert nothing == [("analytics", 0), ("cl", 0), ("sender", 0)]     # no consumer: everything stays
        fast, slow = "ret-fast", "ret-slow"
        drain(c, fast, "analytics")
        part = claim(c, slow, "analytics", limit=100)
        assert {e[0] for e in part} == set(analytics)
        half = [e[0] for e in part if e[1] == "SEND"]          # acknowledges the SEND events only
        ack(c, slow, half)
        # not old enough yet
        assert c.execute("SELECT archived FROM outreach.fn_outbox_archive_acked('1 hour')"
                         " WHERE destination = 'analytics'").fetchone()[0] == 0
        with c.transaction():   # no argument: the age is the setting outreach.outbox_retention (else a week)
            c.execute("SELECT set_config('outreach.outbox_retention', '0 seconds', true)")
            moved = c.execute("SELECT archived FROM outreach.fn_outbox_archive_acked(NULL, 1)"
                              " WHERE destination = 'analytics'").fetchone()[0]
        # the cursor passes only the acknowledged prefix of each shard: what it passed is archived
        archived = [r[0] for r in c.execute("SELECT event_id FROM outreach.outbox_events_archive ORDER BY 1")]
        assert moved == len(archived) > 0 and set(archived) <= set(half)
        left = {r[0] for r in c.execute("SELECT event_id FROM outreach.outbox_events WHERE destination = 'analytics'")}
        assert left == set(analytics) - set(archived)
        assert c.execute("SELECT count(*) FROM outreach.outbox_log WHERE event_id = ANY(%s)",
                         (archived,)).fetchone()[0] == 0
        # nothing lost: the seal chain still verifies, through sanctioned tombstones
        status, detail = c.execute("SELECT status, detail FROM shq.fn_verify_audit_seals('outreach.outbox_events')"
                                   ).fetchone()
        assert status == "OK", detail
        assert c.execute("SELECT bool_and(sanctioned), count(*) FROM shq.audit_seal_tombstones"
                         " WHERE table_name = 'outreach.outbox_events'").fetchone() == (True, len(archived))
        ack(c, slow, [e[0] for e in part])
        c.execute("SELECT * FROM outreach.fn_outbox_archive_acked('0 seconds')")
        assert c.execute("SELECT count(*) FROM outreach.outbox_events WHERE destination = 'analytics'"
                         ).fetchone()[0] == 0
        assert ack(c, slow, [e[0] for e in part]) == 0          # a late acknowledgement of archived events
        # anyone else deleting is refused, and a forged deletion is caught by the seals
        ev = c.execute("SELECT event_id FROM outreach.outbox_events ORDER BY event_id LIMIT 1").fetchone()[0]
        with pytest.raises(psycopg.Error) as e:
            c.execute("DELETE FROM outreach.outbox_events WHERE event_id = %s", (ev,))
        assert e.value.sqlstate == "OG004"
        with pytest.raises(psycopg.Error) as e:
            c.execute("UPDATE outreach.outbox_events SET payload = '{}' WHERE event_id = %s", (ev,))
        assert e.value.sqlstate == "OG004"
        with c.transaction():
            c.execute("SET LOCAL session_replication_role = replica")
            c.execute("SET LOCAL shq.migrating = on")
            c.execute("ALTER TABLE outreach.outbox_events DISABLE TRIGGER trg_outbox_events_010_append_only")
            c.execute("DELETE FROM outreach.outbox_events WHERE event_id = %s", (ev,))
            c.execute("ALTER TABLE outreach.outbox_events ENABLE ALWAYS TRIGGER trg_outbox_events_010_append_only")
        status, detail = c.execute("SELECT status, detail FROM shq.fn_verify_audit_seals('outreach.outbox_events')"
                                   ).fetchone()
        assert status == "MISSING" and "other than by the sanctioned cascade" in detail


def test_retention_keeps_a_parked_event_until_it_is_resolved(fresh_db):
    with psycopg.connect(fresh_db(), autocommit=True) as c:
        cid = make_company(c, tier=1, prefix="OBC-PRK")
        c.execute("SELECT outreach.fn_outbox_register_consumer('prk', 'cl', 1)")
        got = claim(c, "prk", "cl")
        assert len(got) == 2                              # the company's two TIER_CHANGED events
        ack(c, "prk", [got[1][0]])
        nack(c, "prk", [got[0][0]], "0", "poison")
        assert claim(c, "prk", "cl") == []                # a second delivery exceeds 1: parked
        c.execute("SELECT * FROM outreach.fn_outbox_archive_acked('0 seconds')")
        assert [r[0] for r in c.execute("SELECT event_id FROM outreach.outbox_events WHERE destination = 'cl'"
                                        " AND company_unique_id = %s", (cid,))] == [got[0][0]]
        c.execute("SELECT outreach.fn_outbox_resolve_parked('prk', %s, 'handled', 'ops')", ([got[0][0]],))
        c.execute("SELECT * FROM outreach.fn_outbox_archive_acked('0 seconds')")
        assert c.execute("SELECT count(*) FROM outreach.outbox_events WHERE destination = 'cl'").fetchone()[0] == 0


def test_dropping_a_consumer_lets_retention_go_on(fresh_db):
    with psycopg.connect(fresh_db(), autocommit=True) as c:
        make_company(c, tier=1, prefix="OBC-DROP")
        drain(c, "reader", "cl")
        claim(c, "stalled", "cl")
        assert c.execute("SELECT sum(archived) FROM outreach.fn_outbox_archive_acked('0 seconds')").fetchone()[0] == 0
        with pytest.raises(psycopg.Error) as e:
            c.execute("SELECT outreach.fn_outbox_drop_consumer('stalled', NULL, 'ops')")
        assert e.value.sqlstate == "22023"
        assert c.execute("SELECT outreach.fn_outbox_drop_consumer('stalled', 'decommissioned', 'ops')").fetchone()[0]
        assert c.execute("SELECT details->>'consumer' FROM shq.audit_log WHERE event_type = 'OUTBOX_CONSUMER_DROPPED'"
                         ).fetchone()[0] == "stalled"
        assert c.execute("SELECT sum(archived) FROM outreach.fn_outbox_archive_acked('0 seconds')").fetchone()[0] > 0


# ------------------------------------------------------------------ refusals
@pytest.mark.parametrize("sql, params, sqlstate, words", [
    ("SELECT * FROM outreach.fn_outbox_claim(%s, 'cl')", ("  ",), "22023", "not blank"),
    ("SELECT * FROM outreach.fn_outbox_claim(%s, 'crm')", ("x",), "22023", "unknown outbox destination 'crm'"),
    ("SELECT * FROM outreach.fn_outbox_claim(%s, NULL)", ("x",), "22023", "destination must not be NULL"),
    ("SELECT * FROM outreach.fn_outbox_claim(%s, 'cl', 0)", ("x",), "22023", "p_limit must be 1..10000"),
    ("SELECT * FROM outreach.fn_outbox_claim(%s, 'cl', 10, '0 seconds')", ("x",), "22023", "p_visibility"),
    ("SELECT outreach.fn_outbox_ack(%s, ARRAY[1])", ("never-claimed",), "22023", "unknown outbox consumer"),
    ("SELECT outreach.fn_outbox_nack(%s, ARRAY[1], '-1 second')", ("x",), "22023", "p_retry_in must be"),
    ("SELECT outreach.fn_outbox_register_consumer(%s, 'cl', 0)", ("x",), "22023", "max attempts must be"),
    ("SELECT outreach.fn_outbox_register_consumer(%s, 'cl', 5, 'middle')", ("x",), "22023", "earliest or latest"),
    ("SELECT * FROM outreach.fn_outbox_archive_acked(%s)", ("-1 day",), "22023", "(got -1 days)"),
    ("SELECT * FROM outreach.fn_outbox_archive_acked(%s, 0)", (None,), "22023", "batch size must be a positive"),
    ("SELECT * FROM outreach.fn_outbox_archive_acked(%s, 10, 0)", (None,), "22023", "max batches must be NULL"),
])
def test_bad_arguments_are_refused_with_their_value(conn, sql, params, sqlstate, words):
    with pytest.raises(psycopg.Error) as e:
        conn.execute(sql, params)
    assert e.value.sqlstate == sqlstate and words in str(e.value), str(e.value)
    assert e.value.diag.message_hint


def test_a_consumer_reads_one_destination_and_acks_only_what_it_was_given(conn):
    cid = make_company(conn, tier=1, prefix="OBC-ONE")
    camp = create_campaign(conn, new_id("OBC-CMP"))
    send(conn, cid, camp, step_id(conn, camp, 1))              # events for the senders and analytics
    name = consumer_name("one")
    got = claim(conn, name, "cl", limit=1)
    with pytest.raises(psycopg.Error) as e:
        claim(conn, name, "analytics")
    assert e.value.sqlstate == "22023" and "reads destination cl, not analytics" in str(e.value)
    other = conn.execute("SELECT max(event_id) FROM outreach.outbox_events WHERE destination <> 'cl'").fetchone()[0]
    newest = conn.execute("SELECT max(event_id) FROM outreach.outbox_events WHERE destination = 'cl'").fetchone()[0]
    for bad, why in ((other, "event of"), (10**12, "no such event"), (newest, "not been claimed")):
        if bad == got[0][0]:
            continue
        with pytest.raises(psycopg.Error) as e:
            ack(conn, name, [got[0][0], bad])
        assert e.value.sqlstate == "22023" and f"event {bad} was not delivered" in str(e.value)
        assert why in e.value.diag.message_detail
    assert ack(conn, name, [got[0][0]]) == 1 and ack(conn, name, [got[0][0]]) == 0
    with pytest.raises(psycopg.Error) as e:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            conn.execute("SELECT * FROM outreach.fn_outbox_claim(%s, 'cl')", (name,))
    assert e.value.sqlstate == "25000"


# ------------------------------------------------------------------ roles
def test_cl_authority_claims_cl_and_nothing_else(conn, login_role):
    make_company(conn, tier=1, prefix="OBC-ROLE-CL")
    _name, cl = login_role("outreach_cl_authority")
    reader = consumer_name("cl-sync")
    got = claim(cl, reader, "cl", limit=2)
    assert got and ack(cl, reader, [e[0] for e in got]) == len(got)
    assert nack(cl, reader, [e[0] for e in got]) == 0
    for sql, state in (("SELECT * FROM outreach.fn_outbox_claim('cl-analytics', 'analytics')", "42501"),
                       ("SELECT * FROM outreach.fn_outbox_claim('cl-sender', 'sender')", "42501"),
                       ("SELECT count(*) FROM outreach.outbox_events", "42501"),
                       ("SELECT count(*) FROM outreach.outbox_partitions", "42501"),
                       ("UPDATE outreach.outbox_partitions SET acked_upto = 0", "42501"),
                       ("SELECT * FROM outreach.fn_outbox_archive_acked()", "42501"),
                       ("SELECT outreach.fn_outbox_register_consumer('x', 'cl')", "42501"),
                       ("SELECT * FROM outreach.fn_outbox_status()", "42501"),
                       ("SELECT * FROM outreach.vw_outbox_parked", "42501")):
        with pytest.raises(psycopg.Error) as e:
            cl.execute(sql)
        assert e.value.sqlstate == state, sql


def test_outreach_consumer_claims_sender_and_analytics_only(conn, login_role):
    make_company(conn, tier=1, prefix="OBC-ROLE-C")
    _name, c = login_role("outreach_consumer")
    for destination in ("analytics", "sender"):
        got = drain(c, consumer_name(destination), destination)
        assert isinstance(got, list)
    cl_reader = consumer_name("cl-only")
    claim(conn, cl_reader, "cl", limit=1)           # a cl consumer, registered by someone allowed
    for sql, params in (("SELECT * FROM outreach.fn_outbox_claim(%s, 'cl')", (consumer_name(),)),
                        ("SELECT outreach.fn_outbox_ack(%s, ARRAY[1]::bigint[])", (cl_reader,)),
                        ("SELECT outreach.fn_outbox_nack(%s, ARRAY[1]::bigint[])", (cl_reader,))):
        with pytest.raises(psycopg.Error) as e:
            c.execute(sql, params)
        assert e.value.sqlstate == "42501" and "may not read outbox destination cl" in str(e.value)
        assert "outreach_cl_authority" in e.value.diag.message_hint
    for sql in ("SELECT count(*) FROM outreach.outbox_events", "DELETE FROM outreach.outbox_deliveries",
                "SELECT outreach.fn_outbox_drop_consumer('x', 'r', 'a')", "SELECT outreach.fn_queue_send(NULL, 1)"):
        with pytest.raises(psycopg.Error) as e:
            c.execute(sql)
        assert e.value.sqlstate == "42501", sql
    # SET ROLE is the caller too, not the login behind it
    with pytest.raises(psycopg.Error) as e:
        with conn.transaction():
            conn.execute("SET LOCAL ROLE outreach_consumer")
            conn.execute("SELECT * FROM outreach.fn_outbox_claim(%s, 'cl')", (consumer_name(),))
    assert e.value.sqlstate == "42501"


def test_a_claim_commits_without_waiting_for_the_flush_only_on_its_own(conn):
    make_company(conn, tier=1, prefix="OBC-ASYNC")
    name = consumer_name("async")
    with conn.transaction():
        conn.execute("SELECT * FROM outreach.fn_outbox_claim(%s, 'cl', 1)", (name,)).fetchall()
        assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "off"
    with conn.transaction():
        conn.execute("SELECT pg_current_xact_id()")        # the transaction wrote before it claimed
        conn.execute("SELECT * FROM outreach.fn_outbox_claim(%s, 'cl', 1)", (name,)).fetchall()
        assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
    assert conn.execute("SHOW synchronous_commit").fetchone()[0] == "on"
