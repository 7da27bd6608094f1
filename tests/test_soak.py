"""`pyctl soak`: the short soak CI runs (8 clients, 60 s, 2 crashes of a
throwaway cluster of its own), and for every invariant a test that plants the
violation it guards against in a copy of a soaked database and checks that
the checker reports it (and a clean copy that passes them all)."""
from __future__ import annotations

import copy
import dataclasses
import json
import threading
import time

import psycopg
import pytest

from helpers import error_lines, in_thread
from ops_support import Cluster
from pyctl.migrate import migrate
from pyctl.soak import SoakConfig, check, document, run_soak, text
from pyctl.soak.clients import Client, Op, RunContext
from pyctl.soak.config import Universe
from pyctl.soak.invariants import INVARIANTS
from pyctl.soak.runner import CrashRecord
from pyctl.soak.setup import build_to_tier2
from soak_support import ThrowawayCrash, unguarded


def failing(verdicts) -> dict[str, list[str]]:
    return {v.name: v.violations for v in verdicts if not v.ok}


# ------------------------------------------------------------------ the CI soak
def test_short_soak_with_two_crashes():
    """8 clients for 60 s, the server crashed (immediate stop) at 20 s and
    40 s and restarted: every invariant holds, and each was exercised."""
    cluster = Cluster(max_connections="120")
    try:
        cluster.execute("CREATE DATABASE soak")
        dsn = cluster.url("soak")
        migrate(dsn)
        crash = ThrowawayCrash(cluster)
        result = run_soak(dsn, SoakConfig(clients=8, seconds=60, crash_every=20, seed=11), crash=crash)
        verdicts = check(result)
        doc = document(result, verdicts)
        report = "\n".join(text(doc))
        assert failing(verdicts) == {}, report
        assert crash.crashes == 2 and len(result.crashes) == 2, report
        assert all(set(c.seals.values()) == {"OK"} and len(c.seals) >= 9 for c in result.crashes), report
        figures = {v.name: v.figures for v in verdicts}
        assert figures["no_unsafe_send"]["sends_judged"] > 100, report
        assert figures["no_identity_fork"]["acknowledged_mints"] > 10, report
        acked = figures["nothing_acknowledged_lost"]
        for kind in ("gate", "send", "override_set", "override_remove", "hub_status", "error", "error_archived",
                     "engagement", "signal", "seal", "register", "mint"):
            assert acked.get(kind, 0) > 0, (kind, report)
        assert figures["kill_switch_bound"]["changes"] > 50, report
        assert result.terminated_backends > 5 and result.statement_timeouts > 5, report
        ops = {o["operation"]: o for o in doc["operations"]}
        assert ops["send_execute_send"]["ok"] > 50 and ops["send_execute_send"]["unknown"] > 0, report
        assert not [o for o in ops.values() if "25P02" in o["refused_by"]], report   # no client left stuck in a block
        assert json.loads(json.dumps(doc, default=str))["format"] == "pyctl-soak/1"
        assert doc["title"] == "Soak: 8 clients, 1 minute, 2 crashes, seed 11"
    finally:
        cluster.stop()


def test_a_connection_left_in_an_aborted_transaction_is_rolled_back_before_the_next_operation(fresh_db):
    """A statement timeout drawn for an operation covers its COMMIT too. Under
    load the timer can fire as the last statement ends; the cancel then hits
    the COMMIT while it is parsed, and the server keeps the transaction block
    open and aborted (the soak's server log showed it). Planted here as a
    block left open and aborted by an operation that failed: the client's
    next operation on that connection still runs, and nothing of the failed
    one was acknowledged or committed."""
    target = fresh_db()
    config = SoakConfig(clients=1, seconds=1)
    client = Client(0, RunContext(config, Universe.build("SKTEST-", 1, 1), {"outreach_hub_writer": target}, {},
                                  threading.Event()))

    def fails_in_a_block(c):
        conn = c.conn("outreach_hub_writer")
        conn.execute("BEGIN")
        conn.execute("CREATE TABLE public.left_open (id int)")
        conn.execute("SELECT 1 / 0")

    def probe(c):
        assert c.sql("outreach_hub_writer", "SELECT to_regclass('public.left_open') IS NULL") == [(True,)]

    client.ops, client.weights = [Op("fails", "outreach_hub_writer", 1, fails_in_a_block, False)], [1]
    client.step()
    client.ops = [Op("probe", "outreach_hub_writer", 1, probe, False)]
    client.step()
    client.close()
    assert dict(client.journal.stats["fails"].refused) == {"22012": 1}
    assert len(client.journal.stats["probe"].latencies) == 1 and not client.journal.stats["probe"].refused, \
        dict(client.journal.stats)


# ------------------------------------------------------------------ a soaked database to plant violations in
@pytest.fixture(scope="module")
def soaked(dbname, dsn, admin):
    """A short soak (4 clients, 8 s, no crash) on this module's database,
    sealed once more at the end; the planting tests copy that database."""
    result = run_soak(dsn, SoakConfig(clients=4, seconds=8, seed=21))
    with psycopg.connect(dsn, autocommit=True) as c:
        for table, seal_id in c.execute("SELECT table_name, seal_id FROM shq.fn_seal_audit_tables()"):
            result.journals[0].ack("seal", table=table, seal_id=seal_id)
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (dbname,))
    return result


@pytest.fixture
def copy_of(soaked, fresh_db, dbname):
    """A copy of the soaked database: (its DSN, a superuser connection to it)."""
    target = fresh_db(template=dbname)
    conn = psycopg.connect(target, autocommit=True)
    yield target, conn
    conn.close()


def _company(result, k=0) -> str:
    return result.universe.company(k)


def _email_campaign(result) -> str:
    return next(c for c, (ch, m, _s) in sorted(result.universe.campaigns.items()) if ch == "EMAIL" and m == 1)


def test_a_clean_copy_passes_every_invariant(soaked, copy_of):
    target, _ = copy_of
    verdicts = check(soaked, dsn=target)
    assert failing(verdicts) == {}
    assert [v.number for v in verdicts] == [i.number for i in INVARIANTS] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert {v.name: v.figures for v in verdicts}["no_unsafe_send"]["sends_judged"] > 0


def _built_company(conn, result, name: str) -> str:
    """A company of the run's prefix built to tier 2 through the sanctioned
    functions (so eligible for every campaign of the run), settled for longer
    than the judge's window."""
    company = result.universe.prefix + name
    conn.execute("SELECT cl.fn_register_company(%s, 'planted', 'planted.example')", (company,))
    build_to_tier2(conn, [company])
    time.sleep(result.config.judge_window + 0.3)
    return company


def _flip_ineligible(conn, company: str) -> None:
    """CL flips the company to INELIGIBLE (its history records it)."""
    conn.execute("SELECT cl.fn_register_company(%s, 'planted', 'planted.example', 'INELIGIBLE')", (company,))


def _forged_verdict(conn, company: str, campaign: str):
    """A passing verdict written by hand (the audit table takes INSERTs from its owner)."""
    return conn.execute(
        "INSERT INTO outreach.send_attempt_audit (company_unique_id, campaign_id, correlation_id, channel,"
        " computed_tier, effective_tier, was_blocked, block_reason, is_dry_run)"
        " VALUES (%s, %s, 'forged', 'EMAIL', 2, 2, false, NULL, false) RETURNING audit_id",
        (company, campaign)).fetchone()[0]


def _send_past_the_gate(conn, company: str, campaign: str, audit_id) -> int:
    """A send_log row inserted with the send_log guard disabled."""
    with unguarded(conn, "outreach.send_log"):
        return conn.execute(
            "INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, channel,"
            " gate_audit_id) SELECT t.outreach_id, t.company_unique_id, t.target_id, %s, 'EMAIL', %s"
            " FROM outreach.company_target t WHERE t.company_unique_id = %s RETURNING send_id",
            (campaign, audit_id, company)).fetchone()[0]


def test_1_a_send_past_a_blocked_verdict_is_unsafe(soaked, copy_of):
    """A superuser inserts a send with the send_log guard disabled, naming the
    verdict that blocked it."""
    target, conn = copy_of
    company, campaign = _built_company(conn, soaked, "PLANT-BLOCKED"), _email_campaign(soaked)
    _flip_ineligible(conn, company)
    time.sleep(soaked.config.judge_window + 0.3)
    audit_id, reason = conn.execute("SELECT audit_id, block_reason FROM outreach.fn_safety_gate_check(%s, %s, 'p1')",
                                    (company, campaign)).fetchone()
    assert reason == "COMPANY_INELIGIBLE"
    send_id = _send_past_the_gate(conn, company, campaign, audit_id)
    bad = failing(check(soaked, dsn=target))
    assert set(bad) == {"no_unsafe_send"}, bad
    assert sorted(bad["no_unsafe_send"]) == sorted([
        f"send {send_id} to {company}: verdict {audit_id} was blocked",
        *[v for v in bad["no_unsafe_send"] if v.startswith(f"send {send_id} to {company} in {campaign} (EMAIL)")
          and v.endswith("not eligible: CL eligibility INELIGIBLE")]]) and len(bad["no_unsafe_send"]) == 2, bad


def test_1_a_forged_passing_verdict_does_not_make_a_send_safe(soaked, copy_of):
    """The judge does not trust the audit row: a passing verdict written by
    hand for a company CL made ineligible is still an unsafe send."""
    target, conn = copy_of
    company, campaign = _built_company(conn, soaked, "PLANT-FORGED"), _email_campaign(soaked)
    _flip_ineligible(conn, company)
    time.sleep(soaked.config.judge_window + 0.3)
    send_id = _send_past_the_gate(conn, company, campaign, _forged_verdict(conn, company, campaign))
    bad = failing(check(soaked, dsn=target))
    assert set(bad) == {"no_unsafe_send"}, bad
    assert len(bad["no_unsafe_send"]) == 1 and bad["no_unsafe_send"][0].startswith(f"send {send_id} to {company}")
    assert bad["no_unsafe_send"][0].endswith("not eligible: CL eligibility INELIGIBLE"), bad


def test_1_a_change_inside_the_window_gets_the_benefit_of_the_doubt(soaked, copy_of):
    """The same forged send right after the flip, inside the judge's window
    (where a gate check may not have seen the change yet), is not called
    unsafe, and is counted as judged within the window."""
    target, conn = copy_of
    company, campaign = _built_company(conn, soaked, "PLANT-RACING"), _email_campaign(soaked)
    _flip_ineligible(conn, company)
    _send_past_the_gate(conn, company, campaign, _forged_verdict(conn, company, campaign))
    verdicts = check(soaked, dsn=target)
    assert failing(verdicts) == {}
    assert {v.name: v.figures for v in verdicts}["no_unsafe_send"]["judged_within_window"] == 1


def test_1_a_missing_history_row_is_reported(soaked, copy_of):
    """The judge relies on the history: a hub-status history row deleted
    with its guards disabled leaves the history ending elsewhere than the
    current state."""
    target, conn = copy_of
    company = _built_company(conn, soaked, "PLANT-GAP")
    with unguarded(conn, "outreach.company_hub_status_history"):
        hub = conn.execute("DELETE FROM outreach.company_hub_status_history WHERE history_id = (SELECT max(history_id)"
                           " FROM outreach.company_hub_status_history WHERE company_unique_id = %s) RETURNING hub_id",
                           (company,)).fetchone()[0]
    bad = failing(check(soaked, dsn=target))
    assert set(bad) == {"no_unsafe_send"}, bad
    assert len(bad["no_unsafe_send"]) == 1, bad
    assert bad["no_unsafe_send"][0].startswith(f"history gap: hub status {company} {hub} is ('PASS', "), bad


def test_2_a_rebound_outreach_id_is_a_fork(soaked, copy_of):
    """CL's write-once guard disabled (only it: the history still records),
    a company's outreach_id rebound."""
    target, conn = copy_of
    company = _company(soaked, 4)
    with unguarded(conn, "cl.company_identity", trigger="trg_company_identity_010_before_write"):
        conn.execute("UPDATE cl.company_identity SET outreach_id = gen_random_uuid() WHERE company_unique_id = %s",
                     (company,))
    bad = failing(check(soaked, dsn=target))
    assert set(bad) == {"no_identity_fork"}, bad
    assert f"company {company} was bound to 2 outreach_ids" in " ".join(bad["no_identity_fork"]), bad
    assert any(v.startswith(f"company {company}: spine row") for v in bad["no_identity_fork"]), bad


def test_2_minters_told_different_ids_is_a_fork(soaked, copy_of):
    """Two acknowledged mints of one company with different ids (as a client
    log would show if the Golden Rule raced badly)."""
    target, _ = copy_of
    forked = copy.deepcopy(soaked)
    mint = forked.acks["mint"][0]
    forked.journals[1].ack("mint", company=mint.company, outreach_id="00000000-0000-4000-8000-00000000f0c4")
    bad = failing(check(forked, dsn=target))
    assert any("minters were answered 2 different ids" in v for v in bad["no_identity_fork"]), bad


def test_3_an_acknowledged_verdict_deleted_is_lost(soaked, copy_of):
    """An audit row deleted with the append-only guard (and the tombstone) disabled."""
    target, conn = copy_of
    gone = next(g for g in soaked.acks["gate"] if not g.eligible)
    with unguarded(conn, "outreach.send_attempt_audit"):
        assert conn.execute("DELETE FROM outreach.send_attempt_audit WHERE audit_id = %s",
                            (gone.audit_id,)).rowcount == 1
    bad = failing(check(soaked, dsn=target))
    assert "nothing_acknowledged_lost" in bad and set(bad) <= {"nothing_acknowledged_lost", "seals_verify"}, bad
    assert any(f"gate verdict {gone.audit_id}" in v and "has no audit row" in v
               for v in bad["nothing_acknowledged_lost"]), bad


def test_3_an_acknowledged_send_deleted_is_lost(soaked, copy_of):
    target, conn = copy_of
    gone = soaked.acks["send"][0]
    with unguarded(conn, "outreach.send_log", "outreach.engagement_events"):
        conn.execute("DELETE FROM outreach.engagement_events WHERE send_id = %s", (gone.send_id,))
        conn.execute("DELETE FROM outreach.send_log WHERE send_id = %s", (gone.send_id,))
    bad = failing(check(soaked, dsn=target))
    assert any(f"acknowledged send {gone.send_id} " in v for v in bad["nothing_acknowledged_lost"]), bad


def test_3_an_override_change_without_its_audit_row_is_lost(soaked, copy_of):
    target, conn = copy_of
    gone = soaked.acks["override_set"][0]
    with unguarded(conn, "outreach.override_audit_log"):
        conn.execute("DELETE FROM outreach.override_audit_log WHERE override_id = %s AND action IN ('SET', 'REPLACE')",
                     (gone.override_id,))
    bad = failing(check(soaked, dsn=target))
    assert any(f"override {gone.override_id} " in v and "has no SET/REPLACE audit row" in v
               for v in bad["nothing_acknowledged_lost"]), bad


def test_4_an_error_copied_to_its_archive_is_in_two_places(soaked, copy_of):
    target, conn = copy_of
    table, archive, error_id = next(
        (e.table, a, e.error_id) for e in soaked.acks["error"]
        for t, a in conn.execute("SELECT table_name, archive_table FROM shq.governed_error_tables").fetchall()
        if t == e.table and conn.execute(f"SELECT 1 FROM {t} WHERE error_id = %s", (e.error_id,)).fetchone())
    cols = conn.execute("SELECT shq._archive_copy_columns(%s, %s)", (table, archive)).fetchone()[0]
    conn.execute(f"INSERT INTO {archive} ({cols}, disposition, archived_at, archived_by, archive_reason,"
                 f" final_disposition, retention_expires_at) SELECT {cols}, 'ARCHIVED', now(), 'planted', 'MANUAL',"
                 f" disposition, now() + interval '1 year' FROM {table} WHERE error_id = %s", (error_id,))
    bad = failing(check(soaked, dsn=target))
    assert set(bad) == {"no_row_in_two_places"}, bad
    assert f"error {error_id} of {table} is both live and in {archive}" in bad["no_row_in_two_places"], bad


def test_5_an_edited_sealed_row_breaks_the_seals(soaked, copy_of):
    """A sealed override audit row edited with the append-only guard disabled."""
    target, conn = copy_of
    audit_id = conn.execute("SELECT min(first_id) FROM shq.audit_seals WHERE table_name = 'outreach.override_audit_log'"
                            ).fetchone()[0]
    with unguarded(conn, "outreach.override_audit_log"):
        conn.execute("UPDATE outreach.override_audit_log SET actor = 'someone else' WHERE audit_id = %s", (audit_id,))
    bad = failing(check(soaked, dsn=target))
    assert set(bad) == {"seals_verify"}, bad
    assert any(v.startswith("at the end: outreach.override_audit_log CHANGED") for v in bad["seals_verify"]), bad


def test_5_a_seal_broken_after_a_crash_recovery_is_reported(soaked, copy_of):
    target, _ = copy_of
    crashed = copy.deepcopy(soaked)
    crashed.crashes = [CrashRecord(12.0, 1.5, {"outreach.send_attempt_audit": "OK", "shq.audit_log": "MISSING"})]
    bad = failing(check(crashed, dsn=target))
    assert bad == {"seals_verify": ["after crash 1 at 12.0s: shq.audit_log MISSING"]}, bad


def test_6_a_kill_switch_held_by_a_sender_past_the_bound_is_reported(soaked, copy_of):
    """A sender's transaction holds a company's kill-switch lock (shared)
    past the bound, as a send without provider_timeout would; the override
    change that waits for it is measured as the soak measures it."""
    target, conn = copy_of
    quick = copy.deepcopy(soaked)
    quick.config = dataclasses.replace(soaked.config, provider_timeout=0.1)   # bound 2.2 s
    company = _company(soaked, 5)
    held = threading.Event()

    def sender():
        with psycopg.connect(target) as s:   # a transaction, held open
            s.execute("SELECT outreach._kill_switch_lock(%s)", (company,))
            held.set()
            time.sleep(quick.config.kill_switch_bound + 0.5)

    t, _box = in_thread(sender)
    assert held.wait(10)
    t0 = time.perf_counter()
    conn.execute("SELECT outreach.set_marketing_override(%s, 'BLOCK_EMAIL', 'planted wait', 'pytest')", (company,))
    quick.journals[0].kill_switch_waits.append(time.perf_counter() - t0)
    t.join(10)
    bad = failing(check(quick, dsn=target))
    assert "kill_switch_bound" in bad, bad
    assert bad["kill_switch_bound"][0].startswith("a kill-switch change took") and "(bound 2.200s)" in \
        bad["kill_switch_bound"][0], bad


def test_7_a_run_that_acknowledged_no_send_fails(soaked, copy_of):
    target, _ = copy_of
    idle = copy.deepcopy(soaked)
    for j in idle.journals:
        j.acks.pop("send", None)
    idle.client_failures = ["client 2 failed: RuntimeError: planted"]
    bad = failing(check(idle, dsn=target))
    assert bad["throughput"] == ["client 2 failed: RuntimeError: planted",
                                 "no send was acknowledged: the run exercised nothing"], bad


def test_7_throughput_is_reported_per_operation(soaked, copy_of):
    target, _ = copy_of
    doc = document(soaked, check(soaked, dsn=target))
    ops = {o["operation"]: o for o in doc["operations"]}
    assert {"send_execute_send", "override_set", "mint", "hub_set_status", "seal"} <= set(ops)
    send = ops["send_execute_send"]
    assert send["ok"] > 0 and send["median_ms"] > 0 and send["p99_ms"] >= send["median_ms"]
    assert doc["kill_switch"]["max_wait_seconds"] is not None and doc["replay"].startswith("pyctl soak --clients 4")


# ------------------------------------------------------------------ the command
def test_8_a_maintained_row_that_drifted_is_reported(soaked, copy_of):
    """One company's maintained row edited with its guard disabled, and
    another's deleted: the from-scratch computation disagrees with both."""
    target, conn = copy_of
    edited, deleted = [c for (c,) in conn.execute(
        "SELECT company_unique_id FROM outreach.company_eligibility WHERE company_unique_id LIKE %s ORDER BY 1 LIMIT 2",
        (soaked.universe.like(),))]
    with unguarded(conn, "outreach.company_eligibility"):
        assert conn.execute("UPDATE outreach.company_eligibility SET required_passed = required_passed + 1"
                            " WHERE company_unique_id = %s", (edited,)).rowcount == 1
        assert conn.execute("DELETE FROM outreach.company_eligibility WHERE company_unique_id = %s",
                            (deleted,)).rowcount == 1
    bad = failing(check(soaked, dsn=target))
    assert bad == {"maintained_eligibility": sorted([
        f"company {edited}: maintained row differs from the from-scratch one",
        f"company {deleted}: no maintained row"])}, bad


def test_cli_runs_writes_json_and_says_how_to_replay(fresh_db, run_pyctl, tmp_path):
    target = fresh_db()
    out = tmp_path / "soak.json"
    p = run_pyctl(["soak", "--clients", "2", "--seconds", "3", "--seed", "5", "--json", out], dsn=target,
                  timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(out.read_text())
    assert doc["ok"] is True and doc["format"] == "pyctl-soak/1" and doc["id_prefix"] == "SK5R1-"
    assert doc["title"] == "Soak: 2 clients, 3 seconds, 0 crashes, seed 5"
    assert [i["name"] for i in doc["invariants"]][0] == "no_unsafe_send"
    assert "replay: pyctl soak --clients 2 --seconds 3 --seed 5" in p.stdout
    with psycopg.connect(target) as c:   # the run's logins are gone
        assert c.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'soak\\_%'").fetchone()[0] == 0
    # --format json: the same report on stdout, for tools (the second run has its own ids)
    p = run_pyctl(["soak", "--clients", "1", "--seconds", "2", "--seed", "5", "--format", "json"], dsn=target,
                  timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    assert doc["ok"] is True and doc["format"] == "pyctl-soak/1" and len(doc["invariants"]) == 8


def test_cli_refuses_crashes_of_a_server_it_does_not_control(run_pyctl, dsn):
    p = run_pyctl(["soak", "--clients", "2", "--seconds", "3", "--crash-every", "10"], dsn=dsn)
    assert p.returncode == 2
    assert error_lines(p) == ["pyctl: --crash-every crashes the embedded cluster, which pyctl controls; with --dsn or "
                              "DATABASE_URL the soak runs with faults but without crashes (leave --crash-every out)"]


def test_cli_needs_a_superuser(run_pyctl, login_role, server_dsn, dbname):
    name, _ = login_role("outreach_governor")
    p = run_pyctl(["soak", "--clients", "1", "--seconds", "1"], dsn=server_dsn(dbname, name))
    assert p.returncode == 1
    assert error_lines(p)[0].startswith("pyctl: pyctl soak needs a superuser login"), p.stderr


def test_the_same_seed_replays_the_same_choices(fresh_db):
    """Two runs with one seed on two fresh databases: each client chose the
    same operations in the same order (as far as the shorter run got);
    another seed chooses differently."""
    runs = [run_soak(fresh_db(), SoakConfig(clients=2, seconds=3, seed=seed, terminate_every=None))
            for seed in (31, 31, 32)]
    assert runs[0].universe.prefix == runs[1].universe.prefix == "SK31R1-"
    for a, b in zip(runs[0].journals, runs[1].journals):
        n = min(len(a.chosen), len(b.chosen))
        assert n > 20 and list(a.chosen[:n]) == list(b.chosen[:n])
    other = runs[2].journals[0].chosen
    n = min(len(other), len(runs[0].journals[0].chosen))
    assert list(other[:n]) != list(runs[0].journals[0].chosen[:n])
