"""Queued sending (docs/consuming-events.md): `pyctl campaign run` plans,
asks the gate and queues SEND_REQUESTED events; pyctl.outreach.run_sender
claims them, asks the gate again right before the provider, records the send
and acknowledges. A worker killed at each of its steps leaves 0 duplicate
sends and 0 sends without a fresh gate pass."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import psycopg
import pytest

from campaign_support import create_campaign, override, remove_override, step_id
from helpers import REPO_ROOT, make_company, new_id, output
from pyctl.campaign import run_campaign
from pyctl.outreach import run_sender

STEPS = ("claimed", "gated", "recorded", "in_provider", "sent", "committed", "acked")


class Provider:
    """A provider that honours idempotency keys: a key it saw is not sent again."""

    def __init__(self, fail_first: int = 0):
        self.calls: list[dict] = []
        self.delivered: set[str] = set()
        self.fail_first = fail_first

    def __call__(self, **kw):
        self.calls.append(kw)
        if self.fail_first:
            self.fail_first -= 1
            raise ConnectionError("provider unavailable")
        self.delivered.add(kw["idempotency_key"])


def companies_in_distinct_shards(conn, n: int, prefix: str) -> list[str]:
    """n tier-1 companies whose events fall into n different shards."""
    ids, shards = [], set()
    while len(ids) < n:
        cid = new_id(prefix)
        shard = conn.execute("SELECT hashtext(%s) & 15", (cid,)).fetchone()[0]
        if shard not in shards:
            shards.add(shard)
            ids.append(make_company(conn, tier=1, cid=cid))
    return ids


@pytest.fixture
def db(fresh_db):
    """A database of the test's own (a campaign plans every eligible company it holds)."""
    return fresh_db()


@pytest.fixture
def conn(db):
    with psycopg.connect(db, autocommit=True) as c:
        yield c


@pytest.fixture
def worker(login_role, db):
    """(login, factory of connections as it, its URL): a LOGIN in outreach_sender and outreach_consumer."""
    name, _c = login_role("outreach_sender", "outreach_consumer")
    url = db.replace("postgres@", f"{name}@", 1)
    return name, lambda: psycopg.connect(url, autocommit=True), url


def requests_of(conn, campaign):
    return conn.execute("SELECT request_id, company_unique_id, status, send_id FROM outreach.send_requests"
                        " WHERE campaign_id = %s ORDER BY request_id", (campaign,)).fetchall()


def assert_each_request_sent_once_after_a_fresh_gate_pass(conn, campaign):
    rows = conn.execute("""
        SELECT r.request_id, r.status, count(s.send_id), bool_and(NOT a.was_blocked AND NOT a.is_dry_run),
               bool_and(a.attempt_timestamp >= r.requested_at AND a.audit_id <> r.queued_audit_id
                        AND a.correlation_id = r.correlation_id AND s.sent_at - a.attempt_timestamp < '15 minutes')
          FROM outreach.send_requests r
          LEFT JOIN outreach.send_log s ON s.company_unique_id = r.company_unique_id AND s.campaign_id = r.campaign_id
          LEFT JOIN outreach.send_attempt_audit a ON a.audit_id = s.gate_audit_id
         WHERE r.campaign_id = %s
         GROUP BY r.request_id, r.status""", (campaign,)).fetchall()
    assert rows and all(r[1] == "sent" and r[2] == 1 and r[3] and r[4] for r in rows), rows


# ------------------------------------------------------------------ the happy path, from the CLI
def test_campaign_run_queues_and_the_worker_sends(conn, db, run_pyctl, worker):
    ids = [make_company(conn, tier=1, prefix="OBS-RUN") for _ in range(3)]
    camp = create_campaign(conn, new_id("OBS-CMP"), delays=(0, 2))
    p = run_pyctl(["campaign", "run", camp, "--limit", "10"], dsn=db)
    assert p.returncode == 0, output(p)
    assert f"campaign {camp}: 3 planned, 3 queued for the senders, 0 already queued, 0 blocked" in p.stdout
    assert {r[1:] for r in requests_of(conn, camp)} == {(c, "pending", None) for c in ids}
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE campaign_id = %s", (camp,)).fetchone()[0] == 0
    again = run_pyctl(["campaign", "run", camp, "--format", "json"], dsn=db)
    assert again.returncode == 0, output(again)
    assert sorted(json.loads(again.stdout)["already_queued"]) == sorted(ids)

    provider = Provider()
    stats = run_sender(worker[1], provider, batch_size=5)
    assert stats.sent == 3 and stats.failed == 0
    assert {c["company_unique_id"] for c in provider.calls if c["campaign_id"] == camp} == set(ids)
    call = next(c for c in provider.calls if c["campaign_id"] == camp)
    assert set(call) == {"company_unique_id", "campaign_id", "sequence_id", "audit_id", "correlation_id", "channel",
                         "target_id", "person_id", "request_id", "idempotency_key"}
    assert call["idempotency_key"] == f"outreach-send-request-{call['request_id']}"
    assert_each_request_sent_once_after_a_fresh_gate_pass(conn, camp)
    assert run_sender(worker[1], provider).claimed == 0
    # step 2 is not due yet: nothing planned, nothing queued
    p = run_pyctl(["campaign", "run", camp], dsn=db)
    assert "0 planned, 0 queued" in p.stdout


def test_a_kill_switch_change_after_queueing_blocks_the_send(conn, worker):
    ok, stopped = (make_company(conn, tier=1, prefix="OBS-KS") for _ in range(2))
    camp = create_campaign(conn, new_id("OBS-CMP"))
    run = run_campaign(conn, camp)
    assert len(run.queued) == 2
    override(conn, stopped, "BLOCK_OUTREACH")
    provider = Provider()
    stats = run_sender(worker[1], provider)
    assert stats.blocked == 1 and {c["company_unique_id"] for c in provider.calls} == {ok}
    assert {(r[1], r[2]) for r in requests_of(conn, camp)} == {(ok, "sent"), (stopped, "blocked")}
    reason = conn.execute("SELECT a.block_reason FROM outreach.send_requests r JOIN outreach.send_attempt_audit a"
                          " ON a.audit_id = r.closed_audit_id WHERE r.company_unique_id = %s", (stopped,)).fetchone()
    assert reason == ("MARKETING_DISABLED",)
    # not planned while it stays on; queued again once removed
    assert run_campaign(conn, camp).planned == 0
    remove_override(conn, stopped, "BLOCK_OUTREACH")
    assert [c for c, _r in run_campaign(conn, camp).queued] == [stopped]


def test_a_failing_provider_gives_the_request_back_until_it_works(conn, worker):
    cid = make_company(conn, tier=1, prefix="OBS-FAIL")
    camp = create_campaign(conn, new_id("OBS-CMP"))
    ((_c, rid),) = run_campaign(conn, camp).queued
    provider = Provider(fail_first=2)
    stats = run_sender(worker[1], provider, retry_in=60)
    assert (stats.failed, stats.sent) == (1, 0)       # given back: its shard waits 60 s
    last_error = conn.execute("SELECT d.last_error FROM outreach.outbox_deliveries d JOIN outreach.outbox_log l"
                              " ON l.position = d.position AND l.shard = d.shard WHERE l.event_id = %s"
                              " AND d.consumer = 'outreach-sender'", (rid,)).fetchone()
    assert last_error and "ConnectionError: provider unavailable" in last_error[0]
    conn.execute("UPDATE outreach.outbox_partitions SET leased_until = now() WHERE consumer = 'outreach-sender'")
    stats = run_sender(worker[1], provider, retry_in=0)  # fails once more, then goes through
    assert (stats.failed, stats.sent) == (1, 1)
    assert [c["request_id"] for c in provider.calls] == [rid] * 3
    assert_each_request_sent_once_after_a_fresh_gate_pass(conn, camp)
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE company_unique_id = %s", (cid,)).fetchone()[0] == 1


def test_a_request_performed_by_another_worker_is_not_sent_again(conn):
    cid = make_company(conn, tier=1, prefix="OBS-TWICE")
    camp = create_campaign(conn, new_id("OBS-CMP"))
    ((_c, rid),) = run_campaign(conn, camp).queued
    seq = step_id(conn, camp, 1)
    for attempt in (1, 2):
        with conn.transaction():
            audit = conn.execute("SELECT audit_id FROM outreach.fn_safety_gate_check(%s, %s, 'w')", (cid, camp)
                                 ).fetchone()[0]
        try:
            with conn.transaction():
                conn.execute("SELECT set_config('outreach.send_request_id', %s, true)", (str(rid),))
                conn.execute("INSERT INTO outreach.send_log (company_unique_id, campaign_id, sequence_id, channel,"
                             " gate_audit_id) VALUES (%s, %s, %s, 'EMAIL', %s)", (cid, camp, seq, audit))
        except psycopg.Error as e:
            assert attempt == 2 and e.sqlstate == "23505" and f"send request {rid} is sent already" in str(e)
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE company_unique_id = %s", (cid,)).fetchone()[0] == 1
    # and the queued event says nothing new when it is redelivered: the worker acknowledges it
    ev = conn.execute("SELECT count(*) FROM outreach.outbox_events WHERE company_unique_id = %s"
                      " AND destination = 'sender'", (cid,)).fetchone()[0]
    assert ev == 1                                   # the queued request; its performance adds no request


def test_a_request_is_refused_with_a_statement_that_records_two_sends(conn):
    # the outbox's send_log trigger is per row: it still sees the whole statement
    # (NEW TABLE) and refuses a queued request performed by two sends at once
    cid, other = make_company(conn, tier=1, prefix="OBS-TWO"), make_company(conn, tier=1, prefix="OBS-TWO")
    camp = create_campaign(conn, new_id("OBS-CMP"))
    rid = dict(run_campaign(conn, camp).queued)[cid]
    seq = step_id(conn, camp, 1)
    audits = []
    for c in (cid, other):
        with conn.transaction():
            audits.append(conn.execute("SELECT audit_id FROM outreach.fn_safety_gate_check(%s, %s, 'w')", (c, camp)
                                       ).fetchone()[0])
    with pytest.raises(psycopg.Error) as e, conn.transaction():
        conn.execute("SELECT set_config('outreach.send_request_id', %s, true)", (str(rid),))
        conn.execute("INSERT INTO outreach.send_log (company_unique_id, campaign_id, sequence_id, channel,"
                     " gate_audit_id) VALUES (%s, %s, %s, 'EMAIL', %s), (%s, %s, %s, 'EMAIL', %s)",
                     (cid, camp, seq, audits[0], other, camp, seq, audits[1]))
    assert e.value.sqlstate == "22023" and "this statement records 2" in str(e.value)
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE company_unique_id IN (%s, %s)",
                        (cid, other)).fetchone()[0] == 0
    assert conn.execute("SELECT status FROM outreach.send_requests WHERE request_id = %s", (rid,)).fetchone()[0] == \
        "pending"


def test_a_campaign_run_killed_between_the_gate_and_the_queue_queues_each_step_once(conn, db, monkeypatch):
    """The queueing side of a crash: the run's backend dies right after a
    verdict and before its request is queued; a second run queues every
    company once (one request, one SEND_REQUESTED event each)."""
    from pyctl.gate import MarketingSafetyGate

    ids = [make_company(conn, tier=1, prefix="OBS-QKILL") for _ in range(3)]
    camp = create_campaign(conn, new_id("OBS-CMP"))
    check = MarketingSafetyGate.check
    verdicts = []

    def check_then_die(self, *args, **kw):
        verdict = check(self, *args, **kw)
        verdicts.append(verdict)
        if len(verdicts) == 2:         # the first is queued, the second never is
            conn.execute("SELECT pg_terminate_backend(%s, 5000)", (self.conn.info.backend_pid,))
        return verdict

    monkeypatch.setattr(MarketingSafetyGate, "check", check_then_die)
    with psycopg.connect(db, autocommit=True) as runner:
        with pytest.raises(psycopg.OperationalError):
            run_campaign(runner, camp)
    monkeypatch.undo()
    assert len(requests_of(conn, camp)) == 1
    with psycopg.connect(db, autocommit=True) as runner:
        run = run_campaign(runner, camp)
    assert (len(run.queued), len(run.already_queued)) == (2, 1)
    assert sorted(r[1] for r in requests_of(conn, camp)) == sorted(ids)
    assert conn.execute("SELECT count(*), count(DISTINCT company_unique_id) FROM outreach.outbox_events"
                        " WHERE destination = 'sender' AND company_unique_id = ANY(%s)", (ids,)).fetchone() == (3, 3)


# ------------------------------------------------------------------ a crash at each step
WORKER = textwrap.dedent("""
    import json, os, sys
    import psycopg
    from pyctl.outreach import run_sender

    url, step, log = sys.argv[1], sys.argv[2], sys.argv[3]

    def provider(**kw):
        with open(log, "a") as f:
            f.write(json.dumps({k: str(v) for k, v in kw.items()}) + "\\n")
            f.flush()
            os.fsync(f.fileno())
        if step == "in_provider":
            os._exit(17)

    def on_step(name, info):
        if name == step:
            os._exit(17)

    run_sender(lambda: psycopg.connect(url, autocommit=True), provider, batch_size=1, visibility=2,
               provider_timeout=5, max_batches=1, on_step=on_step)
    sys.exit(0)
""")


def test_a_worker_killed_at_each_step_never_sends_twice_nor_without_the_gate(conn, worker, tmp_path):
    ids = companies_in_distinct_shards(conn, len(STEPS), "OBS-CRASH")
    camp = create_campaign(conn, new_id("OBS-CMP"))
    run_sender(worker[1], Provider())                 # the senders' earlier events, out of the way
    queued = run_campaign(conn, camp).queued
    assert len(queued) == len(STEPS)
    log = tmp_path / "provider.jsonl"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    for step in STEPS:
        p = subprocess.run([sys.executable, "-c", WORKER, worker[2], step, str(log)],
                           env=env, capture_output=True, text=True, timeout=120)
        assert p.returncode == 17, (step, p.stdout, p.stderr)
    time.sleep(2.2)                                   # the dead workers' visibility timeouts
    provider = Provider()
    for line in log.read_text().splitlines():        # what the dead workers' provider already sent
        provider.delivered.add(json.loads(line)["idempotency_key"])
    stats = run_sender(worker[1], provider, provider_timeout=5)
    assert stats.failed == 0
    assert_each_request_sent_once_after_a_fresh_gate_pass(conn, camp)
    keys = {f"outreach-send-request-{rid}" for _c, rid in queued}
    assert provider.delivered >= keys
    # the provider saw a request twice only when its worker died between the call and the commit,
    # and then with the same idempotency key
    earlier = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(earlier) == 4                          # in_provider, sent, committed, acked
    assert all(e["idempotency_key"] in keys for e in earlier)
    status = conn.execute("SELECT backlog, in_flight, parked FROM outreach.fn_outbox_status()"
                          " WHERE consumer = 'outreach-sender'").fetchone()
    assert status == (0, 0, 0)


class KillingProvider(Provider):
    """A provider that runs `hook` inside its call (after recording it)."""

    def __init__(self):
        super().__init__()
        self.hook = None

    def __call__(self, **kw):
        super().__call__(**kw)
        if self.hook is not None:
            self.hook()


def test_a_worker_whose_backend_is_killed_at_each_step_never_sends_twice_nor_without_the_gate(conn, worker):
    """The database side of a crash: the worker's backend terminated between
    (or inside) its steps; the worker sees its connection die, stops, and the
    event comes back to another one after the visibility timeout."""
    ids = companies_in_distinct_shards(conn, len(STEPS), "OBS-TERM")
    camp = create_campaign(conn, new_id("OBS-CMP"))
    queued = run_campaign(conn, camp).queued
    assert len(queued) == len(ids)
    provider = KillingProvider()
    killed: dict[str, int] = {}

    opened: list[psycopg.Connection] = []

    def connect() -> psycopg.Connection:
        opened.append(worker[1]())
        return opened[-1]

    def kill(step: str, request_id: int) -> None:
        killed[step] = request_id
        assert conn.execute("SELECT pg_terminate_backend(%s, 5000)", (opened[-1].info.backend_pid,)).fetchone()[0]

    for step in STEPS:
        def on_step(name, info, step=step):
            if name == step:
                kill(step, info["request_id"])
        provider.hook = (lambda: kill("in_provider", provider.calls[-1]["request_id"])) \
            if step == "in_provider" else None
        stats = run_sender(connect, provider, batch_size=1, max_batches=1, visibility=600, on_step=on_step)
        assert step in killed and stats.sent == (1 if step in ("committed", "acked") else 0), (step, stats)
    assert len(set(killed.values())) == len(STEPS)
    pending = {r[0] for r in requests_of(conn, camp) if r[2] == "pending"}
    assert pending == {killed[s] for s in ("claimed", "gated", "recorded", "in_provider", "sent")}
    # the dead workers' events come back (their leases run out)
    conn.execute("UPDATE outreach.outbox_partitions SET leased_until = now() WHERE consumer = 'outreach-sender'")
    provider.hook = None
    stats = run_sender(worker[1], provider)
    assert (stats.sent, stats.closed, stats.failed) == (5, 1, 0), stats
    assert_each_request_sent_once_after_a_fresh_gate_pass(conn, camp)
    # the provider saw a request twice only when the backend died after its call and before the commit
    # (the worker cannot know the send happened), and then with the same idempotency key
    calls: dict[int, int] = {}
    for c in provider.calls:
        assert c["idempotency_key"] == f"outreach-send-request-{c['request_id']}"
        calls[c["request_id"]] = calls.get(c["request_id"], 0) + 1
    twice = {killed[s] for s in ("recorded", "in_provider", "sent")}
    assert calls == {rid: 2 if rid in twice else 1 for _c, rid in queued}
    # each event in one place: acknowledged once, nothing in flight or parked; one SEND event per send
    assert conn.execute("SELECT backlog, in_flight, parked FROM outreach.fn_outbox_status()"
                        " WHERE consumer = 'outreach-sender'").fetchone() == (0, 0, 0)
    assert conn.execute("SELECT count(*), count(DISTINCT company_unique_id) FROM outreach.outbox_events"
                        " WHERE destination = 'analytics' AND event_type = 'SEND' AND company_unique_id = ANY(%s)",
                        (ids,)).fetchone() == (len(ids), len(ids))


# ------------------------------------------------------------------ through a transaction-mode pooler
def test_two_workers_share_one_server_connection_through_pgbouncer(conn, db, worker):
    """Transaction mode, one server connection for both workers: each of
    their transactions may land on the connection the other just used, and
    every statement runs more often than psycopg's prepare threshold (5)."""
    import threading

    from ops_support import PgBouncer

    ids = [make_company(conn, tier=1, prefix="OBS-POOL") for _ in range(8)]
    camp = create_campaign(conn, new_id("OBS-CMP"))
    assert len(run_campaign(conn, camp).queued) == len(ids)
    port = int(db.rsplit(":", 1)[1].split("/")[0])
    dbname = db.rsplit("/", 1)[1]
    bouncer = PgBouncer(port, pool_size=1).start()
    provider, results = Provider(), []
    try:
        bouncer.add_users(worker[0])
        url = bouncer.url(dbname, worker[0])

        def work():
            results.append(run_sender(lambda: psycopg.connect(url, autocommit=True), provider, batch_size=2))

        threads = [threading.Thread(target=work) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert len(results) == 2 and sum(r.sent for r in results) == len(ids), results
        assert sum(r.failed for r in results) == 0
        assert sorted(c["company_unique_id"] for c in provider.calls) == sorted(ids)
        assert_each_request_sent_once_after_a_fresh_gate_pass(conn, camp)
    finally:
        bouncer.stop()
