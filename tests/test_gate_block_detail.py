"""The gate says why it failed closed (send_attempt_audit.block_detail, the
sixth column of fn_safety_gate_check): through the Python client's exceptions,
through `pyctl gate check`, in an isolation level the gate refuses, and across
the migration that added the column (seals made before it keep verifying).
The SQL side, detail by detail, is pgtap_tests/gate_block_detail.sql."""
from __future__ import annotations

import json
import uuid

import psycopg
import pytest

from helpers import make_company, output
from pyctl import gate as G
from pyctl.migrate import migrate
from pyctl.resources import SQL_ROOT


def campaign(conn, channel="EMAIL", status="active"):
    camp = f"GBD-{uuid.uuid4().hex[:8]}"
    conn.execute("INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status)"
                 " VALUES (%s, %s, %s, 1, %s)", (camp, camp, channel, status))
    return camp


def test_python_exceptions_carry_the_detail(conn, new_conn):
    cid, camp = make_company(conn), campaign(conn)
    gate = G.MarketingSafetyGate(new_conn())
    with pytest.raises(G.EligibilityCheckFailedError) as e:
        gate.check_eligibility_or_fail("NOPE-123", camp, "corr-1")
    assert e.value.block_reason == "ELIGIBILITY_CHECK_FAILED"
    assert e.value.block_detail == "unknown company 'NOPE-123'" == e.value.result.block_detail
    assert "ELIGIBILITY_CHECK_FAILED: unknown company 'NOPE-123'" in str(e.value)
    row = conn.execute("SELECT block_reason, block_detail FROM outreach.send_attempt_audit WHERE audit_id = %s",
                       (e.value.audit_id,)).fetchone()
    assert row == ("ELIGIBILITY_CHECK_FAILED", "unknown company 'NOPE-123'"), "committed with its detail"

    with pytest.raises(G.EligibilityCheckFailedError) as e:
        gate.check_eligibility_or_fail(cid, camp, "corr-2", channel="SMS")
    assert e.value.block_detail == "channel SMS is not EMAIL/PHONE"

    G.set_override(conn, cid, "BLOCK_OUTREACH", "test", "pytest")
    with pytest.raises(G.MarketingDisabledError) as e:
        gate.check_eligibility_or_fail(cid, camp, "corr-3")
    assert e.value.block_detail == "an active BLOCK_OUTREACH override"

    r = gate.check(cid, camp, "corr-4")
    assert (r.is_eligible, r.verdict()) == (False, "BLOCKED (MARKETING_DISABLED: an active BLOCK_OUTREACH override)")


def test_a_pass_has_no_detail(conn, new_conn):
    cid, camp = make_company(conn), campaign(conn)
    r = G.MarketingSafetyGate(new_conn()).check_eligibility_or_fail(cid, camp, "corr-pass")
    assert (r.is_eligible, r.block_detail, r.verdict()) == (True, None, "ELIGIBLE")


def test_a_gate_that_cannot_be_called_says_so(conn, server_dsn, dbname, login_role):
    """No EXECUTE on the gate: no audit row, and the detail says why."""
    _role, c = login_role("outreach_reader")
    with pytest.raises(G.EligibilityCheckFailedError) as e:
        G.MarketingSafetyGate(c).check_eligibility_or_fail("ANY", "ANY", "corr")
    assert e.value.audit_id is None
    assert e.value.block_detail == "the gate could not be called (42501); no audit row"


def test_another_isolation_level_is_named(conn, new_conn):
    cid, camp = make_company(conn), campaign(conn)
    c = new_conn(autocommit=False)
    c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    reason, detail = c.execute("SELECT block_reason, block_detail FROM outreach.fn_safety_gate_check(%s, %s, 'rr')",
                               (cid, camp)).fetchone()
    c.rollback()
    assert (reason, detail) == ("ELIGIBILITY_CHECK_FAILED", "transaction isolation is repeatable read, not read committed")


@pytest.mark.parametrize("args, detail", [
    (["NOPE-123"], "unknown company 'NOPE-123'"),
    ([" "], "company id is blank"),
    (["{cid}", "--campaign", "X"], "unknown campaign 'X'"),
    (["{cid}", "--channel", "SMS"], "channel SMS is not EMAIL/PHONE"),
    (["{cid}", "--correlation-id", " "], "correlation id is blank"),
    (["{cid}", "--campaign", "{phone}"], "campaign channel is PHONE, not EMAIL"),
], ids=["unknown-company", "blank-company", "unknown-campaign", "sms", "blank-correlation", "phone-campaign"])
def test_pyctl_gate_check_prints_the_detail(conn, dsn, run_pyctl, args, detail):
    ids = {"cid": make_company(conn), "phone": campaign(conn, "PHONE")}
    camp = campaign(conn)
    argv = ["gate", "check", *[a.format(**ids) for a in args]]
    if "--campaign" not in argv:
        argv += ["--campaign", camp]
    p = run_pyctl(argv, dsn=dsn)
    assert p.returncode == 3, output(p)
    assert p.stdout.splitlines()[0] == f"verdict: BLOCKED (ELIGIBILITY_CHECK_FAILED: {detail})", output(p)
    p = run_pyctl([*argv, "--format", "json"], dsn=dsn)
    assert p.returncode == 3, output(p)
    verdict = json.loads(p.stdout)
    assert (verdict["block_reason"], verdict["block_detail"]) == ("ELIGIBILITY_CHECK_FAILED", detail)


def test_the_migration_keeps_earlier_seals_verifying(fresh_db):
    """The column is added to a table whose earlier rows are sealed without
    it: those seals verify after the migration, and new seals cover it. (The
    table is put back to its shape before the migration, under the migrator's
    setting, and then the migration file itself is run.)"""
    url = fresh_db()
    migration = (SQL_ROOT / "db" / "1200_gate_block_detail.sql").read_text()
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("SELECT outreach.fn_mint_outreach_id(cl.fn_register_company('GBD-SEAL', 'n', 'd.example'))")
        with c.transaction():  # before the migration: no column, the old gate gone
            c.execute("SELECT set_config('shq.migrating', 'on', true)")
            c.execute("DROP FUNCTION outreach.fn_safety_gate_check(text, text, text, text, boolean)")
            c.execute("ALTER TABLE outreach.send_attempt_audit DROP COLUMN block_detail")
        for i in range(3):
            c.execute("INSERT INTO outreach.send_attempt_audit (company_unique_id, campaign_id, correlation_id, channel,"
                      " was_blocked, block_reason) VALUES ('GBD-SEAL', 'C', %s, 'EMAIL', true, 'ELIGIBILITY_CHECK_FAILED')",
                      (f"old-{i}",))
        c.execute("SELECT * FROM shq.fn_seal_audit_tables()")
        (before,) = c.execute("SELECT columns FROM shq.audit_seals WHERE table_name = 'outreach.send_attempt_audit'"
                              ).fetchone()
        assert "block_detail" not in before and "block_reason" in before
        with c.transaction():  # the migration, as yoyo runs it
            c.execute("SELECT set_config('shq.migrating', 'on', true)")
            c.execute(migration)
    migrate(url)  # re-creates the gate from its source
    with psycopg.connect(url, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM outreach.send_attempt_audit WHERE block_detail IS NOT NULL").fetchone()[0] == 0
        detail = c.execute("SELECT block_detail FROM outreach.fn_safety_gate_check('GBD-SEAL', 'NO-SUCH', 'new')").fetchone()[0]
        assert detail == "unknown campaign 'NO-SUCH'"
        c.execute("SELECT * FROM shq.fn_seal_audit_tables()")
        cols = c.execute("SELECT columns FROM shq.audit_seals WHERE table_name = 'outreach.send_attempt_audit'"
                         " ORDER BY seal_id").fetchall()
        assert "block_detail" in cols[-1][0], "the new seal covers the new column"
        status = c.execute("SELECT table_name, status, detail FROM shq.fn_verify_audit_seals()").fetchall()
        assert {s for _t, s, _d in status} == {"OK"}, status
        assert c.execute("SELECT count(*) FROM shq.audit_seals WHERE table_name = 'outreach.send_attempt_audit'"
                         ).fetchone()[0] == 2, "one seal before the migration, one after"
