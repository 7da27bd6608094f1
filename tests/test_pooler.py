"""Everything a sending service uses works through a transaction-mode
pgbouncer (docs/operations.md): the gate, execute_send, the kill switch, mint, BIT
signals, engagement events, the pyctl.gate and pyctl.outreach APIs, with
several senders while overrides flip; `pyctl migrate` works through it and
`pyctl verify` refuses it in one line. The pgbouncer is a real one
(tests/ops_support.py), its pool smaller than the number of clients, so
server connections are shared between them; the application connections
use psycopg's defaults, as a service would."""
from __future__ import annotations

import time

import psycopg
import pytest

from campaign_support import create_campaign, step_id
try:  # the one company builder, where the shared fixtures have it (call it with cid=)
    from helpers import make_company, new_id
except ImportError:
    from campaign_support import make_company, new_id
from helpers import error_lines, fingerprint, fingerprint_diff, output, race
from ops_support import PgBouncer, pooled
from pyctl import gate as G
from pyctl.migrate import migrate
from pyctl.outreach import SendError, execute_send
from pyctl import drift, grants_audit
from pyctl.verify import check_audit_seals, check_mutation_guard, check_security, pgtap_files
from send_race import Provider, assert_every_send_was_safe, senders_racing_a_flipper


@pytest.fixture(scope="module")
def bouncer(pg_cluster):
    b = PgBouncer(pg_cluster.settings["port"], pool_size=3).start()
    yield b
    b.stop()


@pytest.fixture
def via(bouncer, dbname, login_role):
    """via(*groups) -> (role, url through the pooler, a pooled connection as that role)."""
    def make(*groups: str):
        role, _ = login_role(*groups)
        bouncer.add_users(role)
        url = bouncer.url(dbname, role)
        return role, url, pooled(url)
    return make


# ------------------------------------------------------------------ the harness is a transaction pooler
def test_the_pooler_shares_server_connections_and_drops_session_state(bouncer, dbname):
    """The control: through this pooler psycopg's automatic prepared
    statements break, and a session lock taken by one client is found on a
    server connection another client gets."""
    clients = [pooled(bouncer.url(dbname)) for _ in range(5)]
    with pytest.raises(psycopg.Error, match="_pg3_"):
        for i in range(20):
            for c in clients:
                c.execute("SELECT %s::int + 1", (i,))
    one = pooled(bouncer.url(dbname), prepare_threshold=None)
    assert one.info.backend_pid != one.execute("SELECT pg_backend_pid()").fetchone()[0]


# ------------------------------------------------------------------ the gate and the kill switch from Python
def test_gate_api_through_the_pooler(conn, via):
    ok_cid, blocked_cid = new_id("PGB-OK"), new_id("PGB-BLK")
    make_company(conn, cid=ok_cid)
    make_company(conn, cid=blocked_cid)
    camp = create_campaign(conn, new_id("CMP"))
    _, _, admin = via("outreach_override_admin")
    _, url, sender = via("outreach_sender")
    G.set_override(admin, blocked_cid, "BLOCK_OUTREACH", "pooler test", "tester")
    assert [o["company_unique_id"] for o in G.list_overrides(admin, blocked_cid)] == [blocked_cid]
    gate = G.MarketingSafetyGate(sender)
    # other clients on the same few server connections (their own SQL, so no prepared statements)
    others = [pooled(url, prepare_threshold=None) for _ in range(4)]
    for i in range(12):
        res = gate.check_eligibility_or_fail(ok_cid, camp, f"pgb-{i}")
        assert res.is_eligible and res.audit_id is not None
        with pytest.raises(G.MarketingDisabledError) as ei:
            gate.check_eligibility_or_fail(blocked_cid, camp, f"pgb-b-{i}")
        assert ei.value.audit_id is not None
        assert gate.check(blocked_cid, camp, f"pgb-c-{i}").block_reason == "MARKETING_DISABLED"
        for o in others:
            o.execute("SELECT count(*) FROM outreach.campaigns WHERE campaign_id = %s", (camp,))
    # a caller inside a transaction: the gate commits on a side connection, through the pooler too
    tx = pooled(url, autocommit=False)
    tx.execute("SELECT 1")
    assert G.MarketingSafetyGate(tx).check_eligibility_or_fail(ok_cid, camp, "pgb-tx").is_eligible
    tx.rollback()
    assert G.remove_override(admin, blocked_cid, "BLOCK_OUTREACH", "pooler test", "tester") == 1
    assert gate.check_eligibility_or_fail(blocked_cid, camp, "pgb-after").is_eligible
    audited = conn.execute("SELECT count(*) FROM outreach.send_attempt_audit WHERE campaign_id = %s",
                           (camp,)).fetchone()[0]
    assert audited == 12 * 3 + 2


def test_execute_send_through_the_pooler(conn, via):
    cids = [new_id("PGB-SND") for _ in range(3)]
    for cid in cids:
        make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"), delays=(0, 0))
    _, _, sender = via("outreach_sender")
    provider = Provider()
    for step in (1, 2):
        for cid in cids:
            execute_send(sender, cid, camp, step_id(conn, camp, step), provider)
    assert conn.execute("SELECT count(*) FROM outreach.send_log WHERE campaign_id = %s", (camp,)).fetchone()[0] == 6
    assert {r[0] for r in conn.execute("SELECT outreach_status FROM outreach.company_target"
                                       " WHERE company_unique_id = ANY(%s)", (cids,)).fetchall()} == {"exhausted"}


def test_senders_while_overrides_flip_through_the_pooler(conn, via):
    """8 senders and a flipper share 3 server connections: nothing hangs, no
    kill-switch change times out (55P03), every verdict is right and no
    send is recorded against a blocking override."""
    companies = [new_id("PGB-MT") for _ in range(8)]
    flipped = companies[:4]
    for cid in companies:
        make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"))
    _, url, _ = via("outreach_sender")
    senders = [pooled(url) for _ in range(8)]  # psycopg's defaults: only the pyctl APIs run on them
    _, admin_url, _ = via("outreach_override_admin")
    admin = pooled(admin_url, prepare_threshold=None)
    provider = Provider(pause=0.002)
    result = senders_racing_a_flipper(senders, admin, companies, flipped, camp, step_id(conn, camp, 1), provider, seconds=5)
    assert_every_send_was_safe(conn, camp, result, provider, flipped)
    kinds = [o[0] for o in result["outcomes"]]
    assert kinds.count("sent") > 20 and kinds.count("blocked") > 2 and result["flips"] > 10, (
        kinds.count("sent"), kinds.count("blocked"), result["flips"])
    # no lock outlived its transaction on any server connection: every
    # company's kill switch can be changed at once
    for cid in companies:
        with admin.transaction():
            admin.execute("SELECT set_config('lock_timeout', '1s', true)")
            admin.execute("SELECT outreach.set_marketing_override(%s, 'BLOCK_PHONE', 'after', 'pgb')", (cid,))
    assert conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").fetchone()[0] == 0


def test_mint_signals_and_engagement_through_the_pooler(conn, via):
    cids = [new_id("PGB-MINT") for _ in range(5)]
    for cid in cids:
        conn.execute("SELECT cl.fn_register_company(%s, 'x', 'x.example')", (cid,))
    _, url, _ = via("outreach_hub_writer")

    def mint(c):
        out = {}
        for cid in cids:
            out[cid] = c.execute("SELECT outreach.fn_mint_outreach_id(%s)", (cid,)).fetchone()[0]
            c.execute("SELECT outreach.fn_add_bit_signal(%s, 'NEWS_MENTION', now(), 'pgb-news')", (cid,))
        return out

    results, errors = race(lambda: pooled(url, prepare_threshold=None), 6, mint)
    assert errors == []
    minted = {cid: {r[cid] for r in results} for cid in cids}
    for cid in cids:
        bound = conn.execute("SELECT outreach_id FROM cl.company_identity WHERE company_unique_id = %s",
                             (cid,)).fetchone()[0]
        assert minted[cid] == {bound}, "one id per company, whoever minted it"
        assert conn.execute("SELECT count(*) FROM outreach.bit_signals WHERE company_unique_id = %s",
                            (cid,)).fetchone()[0] == 1, "the dedup key held across pooled sessions"
    # engagement: the sender records events through the pooler
    cid = new_id("PGB-ENG")
    make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"))
    _, url, _ = via("outreach_sender")
    sender = pooled(url, prepare_threshold=None)
    send_id = execute_send(sender, cid, camp, None, Provider())
    for event in ("OPEN", "CLICK", "REPLY", "UNSUBSCRIBE"):
        sender.execute("INSERT INTO outreach.engagement_events (send_id, outreach_id, company_unique_id, target_id,"
                       " event_type) SELECT send_id, outreach_id, company_unique_id, target_id, %s"
                       " FROM outreach.send_log WHERE send_id = %s", (event, send_id))
    assert conn.execute("SELECT count(*) FROM outreach.bit_signals WHERE company_unique_id = %s"
                        " AND signal_type = 'ENGAGEMENT_REPLY'", (cid,)).fetchone()[0] == 1
    with pytest.raises(G.BlockingOverrideError) as ei:
        execute_send(sender, cid, camp, None, Provider())
    assert ei.value.block_reason == "OPTED_OUT"


# ------------------------------------------------------------------ failures of the pooler itself
def test_a_pooler_failure_is_a_blocked_verdict_or_a_send_error(conn, pg_cluster, dbname, login_role):
    cid = new_id("PGB-DOWN")
    make_company(conn, cid=cid)
    camp = create_campaign(conn, new_id("CMP"))
    role, _ = login_role("outreach_sender")
    own = PgBouncer(pg_cluster.settings["port"], pool_size=1, users=("postgres", role)).start()
    try:
        sender = pooled(own.url(dbname, role))
        assert G.MarketingSafetyGate(sender).check_eligibility_or_fail(cid, camp, "up").is_eligible
        # the server connection behind the pooler is killed
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (role,))
        time.sleep(0.2)
        try:
            G.MarketingSafetyGate(sender).check_eligibility_or_fail(cid, camp, "server-gone")
        except G.EligibilityCheckFailedError:
            pass  # failed closed; or the pooler reconnected and the verdict passed
        # the pooler itself goes away
        victim = pooled(own.url(dbname, role))
        own.stop()
        with pytest.raises(G.EligibilityCheckFailedError) as ei:
            G.MarketingSafetyGate(victim).check_eligibility_or_fail(cid, camp, "pooler-gone")
        assert ei.value.audit_id is None and ei.value.block_reason == "ELIGIBILITY_CHECK_FAILED"
        assert G.MarketingSafetyGate(victim).check(cid, camp, "pooler-gone").block_reason == "ELIGIBILITY_CHECK_FAILED"
        provider = Provider()
        with pytest.raises((SendError, G.MarketingSafetyGateError)) as ei2:
            execute_send(victim, cid, camp, None, provider)
        assert not isinstance(ei2.value, psycopg.Error) and provider.calls == []
    finally:
        own.stop()


# ------------------------------------------------------------------ migrate and verify
def test_migrate_works_through_the_pooler(bouncer, fresh_db, run_pyctl):
    direct = fresh_db("template0")
    name = direct.rsplit("/", 1)[1]
    p = run_pyctl(["migrate", "--dsn", bouncer.url(name)])
    assert p.returncode == 0, output(p)
    p = run_pyctl(["migrate", "--dsn", bouncer.url(name)])
    assert p.returncode == 0 and "up to date" in p.stdout, output(p)
    reference = fresh_db("template0")
    migrate(reference)
    assert fingerprint_diff(fingerprint(direct), fingerprint(reference)) == []


def test_a_startup_parameter_the_pooler_refuses_is_one_line(bouncer, fresh_db, run_pyctl):
    """options in the DSN (a session setting): pgbouncer refuses it (08P01)."""
    name = fresh_db("template0").rsplit("/", 1)[1]
    for cmd in (["migrate"], ["migrate", "--status"], ["verify"]):
        p = run_pyctl([*cmd, "--dsn", bouncer.url(name) + "?options=-c%20statement_timeout%3D0"])
        assert p.returncode == 1 and "Traceback" not in output(p)
        lines = error_lines(p)
        assert len(lines) == 1 and "08P01" in lines[0] and "remove it from the DSN" in lines[0], output(p)


def test_verify_through_the_pooler_is_refused_in_one_line(bouncer, dbname, run_pyctl, tmp_path):
    p = run_pyctl(["verify", "--dsn", bouncer.url(dbname), "--report", tmp_path / "r.json"])
    assert p.returncode == 1
    lines = error_lines(p)
    assert len(lines) == 1 and "Traceback" not in output(p), output(p)
    assert "pooler" in lines[0] and "direct connection" in lines[0]
    assert not (tmp_path / "r.json").exists()


# ------------------------------------------------------------------ the XX000 regression
TAMPER_FILE = next(p for p in pgtap_files() if p.name == "tamper_seals.sql")


def _sessions_gone(conn, application_name: str, but: int, timeout: float = 5.0) -> bool:
    """No backend but `but` runs as `application_name` (a closed one may take a moment to exit)."""
    deadline = time.monotonic() + timeout
    while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE %s AND pid <> %s",
                       (application_name, but)).fetchone()[0]:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _run_sql_file(c: psycopg.Connection, path) -> None:
    with c.cursor() as cur:
        cur.execute(path.read_text(), prepare=False)


def test_seal_verification_in_a_session_shared_with_verify_and_the_tamper_suite(
        conn, pg_cluster, dbname, dsn, run_pyctl, tmp_path):
    """One server connection (a pool of one) serves every client, as a
    pooler may arrange: the tamper pgTAP file, then `pyctl verify` through
    that pooler (refused) and directly (plpgsql_check installed in this
    database, so that it checks the live functions), then verify's live
    checks, in its order, in that same session, then the seals, twice.
    plpgsql_check 2.3 breaks a session's cached fn_verify_audit_seals when it
    checks it right after the tamper file ran there (XX000 unrecognized node
    type: -1), for every later client of that server connection: verify
    therefore refuses poolers and runs plpgsql_check on a connection of its
    own, closed right after."""
    conn.execute("INSERT INTO shq.audit_log (event_type, details) SELECT 'POOLED', '{}'::jsonb"
                 " FROM generate_series(1, 5)")
    conn.execute("SELECT count(*) FROM shq.fn_seal_audit_tables()")
    conn.execute("CREATE EXTENSION IF NOT EXISTS plpgsql_check")
    one = PgBouncer(pg_cluster.settings["port"], pool_size=1).start()
    try:
        session = pooled(one.url(dbname), prepare_threshold=None)
        pid = session.execute("SELECT pg_backend_pid()").fetchone()[0]
        _run_sql_file(session, TAMPER_FILE)
        p = run_pyctl(["verify", "--dsn", one.url(dbname), "--skip", "pgtap", "--report", tmp_path / "p.json"])
        assert p.returncode == 1 and "pooler" in p.stderr, output(p)[-2000:]
        p = run_pyctl(["verify", "--dsn", dsn, "--skip", "pgtap", "--report", tmp_path / "r.json"])
        assert p.returncode == 0, output(p)[-3000:]
        assert "functions (live database)" in p.stdout
        assert _sessions_gone(conn, "pyctl verify (plpgsql_check)", but=pid), "plpgsql_check's session lives on"
        for check in (drift.snapshot, check_security, check_mutation_guard, grants_audit.check_grants,
                      check_audit_seals):
            check(session)
        for _ in range(2):
            statuses = session.execute("SELECT status FROM shq.fn_verify_audit_seals()").fetchall()
            assert {s[0] for s in statuses} == {"OK"}
            _run_sql_file(session, TAMPER_FILE)
        assert session.execute("SELECT pg_backend_pid()").fetchone()[0] == pid, "one server connection throughout"
    finally:
        one.stop()
        conn.execute("DROP EXTENSION IF EXISTS plpgsql_check")
