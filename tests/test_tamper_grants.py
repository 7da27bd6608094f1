"""The grants audit of `pyctl verify` (pyctl.grants_audit): each of
its checks is broken on purpose, named, and fails; superusers are reported as
information only."""
from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import sql

from pyctl.grants_audit import audit_grants, check_grants


def _fails(conn, check=None):
    return [(f["check"], f["subject"]) for f in audit_grants(conn)
            if f["severity"] == "fail" and (check is None or f["check"] == check)]


@pytest.fixture
def bypass(conn):
    """Run a statement as a superuser past the DDL guard (what pyctl migrate may do)."""
    def run(statement):
        with conn.transaction():
            conn.execute("SET LOCAL shq.migrating = on")
            conn.execute(statement)
    return run


def test_a_migrated_database_passes(conn):
    findings = audit_grants(conn)
    assert [f for f in findings if f["severity"] != "info"] == [], findings
    assert ("superusers", "postgres") in [(f["check"], f["subject"]) for f in findings if f["severity"] == "info"]
    check = check_grants(conn)
    assert check["ok"] is True and check["name"] == "grants" and check["failures"] == []
    assert any(n["subject"] == "postgres" for n in check["info"]["notes"])


def test_login_member_of_the_owner_fails(conn, login_role):
    name, _ = login_role("outreach_owner")
    assert ("owner_members", name) in _fails(conn)
    check = check_grants(conn)
    assert check["ok"] is False and any(f["subject"] == name for f in check["failures"])


def test_login_member_of_the_owner_through_another_role_fails(conn, login_role, admin):
    middle = f"zz_middle_{uuid.uuid4().hex[:6]}"
    admin.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(middle)))
    try:
        admin.execute(sql.SQL("GRANT outreach_owner TO {}").format(sql.Identifier(middle)))
        name, _ = login_role(middle)
        assert _fails(conn, "owner_members") == [("owner_members", name)]
    finally:
        conn.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(middle)))
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(middle)))


def test_owner_that_can_log_in_fails(conn, admin):
    admin.execute("ALTER ROLE outreach_owner LOGIN")
    try:
        assert ("owner_members", "outreach_owner") in _fails(conn)
    finally:
        admin.execute("ALTER ROLE outreach_owner NOLOGIN")
    assert _fails(conn) == []


def test_login_with_pg_write_all_data_fails(conn, login_role):
    name, _ = login_role("pg_write_all_data")
    assert _fails(conn, "write_all_data") == [("write_all_data", name)]


def test_login_that_may_set_session_replication_role_fails(conn, login_role, admin):
    name, c = login_role()
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        c.execute("SET session_replication_role = replica")
    admin.execute(sql.SQL("GRANT SET ON PARAMETER session_replication_role TO {}").format(sql.Identifier(name)))
    try:
        c.execute("SET session_replication_role = replica")  # what the check is about
        c.execute("RESET session_replication_role")
        assert _fails(conn, "replication_role") == [("replication_role", name)]
    finally:
        admin.execute(sql.SQL("REVOKE SET ON PARAMETER session_replication_role FROM {}").format(sql.Identifier(name)))
    assert _fails(conn, "replication_role") == []


@pytest.mark.parametrize("schema", ["outreach", "shq", "cl"])
def test_create_on_a_project_schema_fails(conn, login_role, schema):
    name, _ = login_role()
    conn.execute(sql.SQL("GRANT CREATE ON SCHEMA {} TO {}").format(sql.Identifier(schema), sql.Identifier(name)))
    try:
        assert _fails(conn, "schema_create") == [("schema_create", name)]
    finally:
        conn.execute(sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(sql.Identifier(schema), sql.Identifier(name)))
    conn.execute(sql.SQL("GRANT CREATE ON SCHEMA {} TO PUBLIC").format(sql.Identifier(schema)))
    try:
        assert _fails(conn, "schema_create") == [("schema_create", "PUBLIC")]
    finally:
        conn.execute(sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(schema)))
    assert _fails(conn) == []


@pytest.mark.parametrize("table", ["shq.audit_log", "outreach.manual_overrides", "shq.audit_seals"])
def test_a_rule_on_a_protected_table_fails(conn, bypass, table):
    bypass(f"CREATE RULE zz_swallow AS ON INSERT TO {table} DO INSTEAD NOTHING")
    try:
        assert _fails(conn, "protected_rules") == [("protected_rules", table)]
    finally:
        bypass(f"DROP RULE zz_swallow ON {table}")
    assert _fails(conn) == []


@pytest.mark.parametrize("table,trigger,how", [
    ("shq.audit_log", "trg_audit_log_010_append_only", "ENABLE"),
    ("outreach.bit_scores", "trg_bit_scores_010_sovereign_guard", "DISABLE"),
    ("outreach.engagement_events", "trg_engagement_events_900_seal_tombstone", "ENABLE REPLICA"),
])
def test_a_guard_trigger_that_is_not_always_fails(conn, bypass, table, trigger, how):
    bypass(f"ALTER TABLE {table} {how} TRIGGER {trigger}")
    try:
        assert _fails(conn, "guard_triggers") == [("guard_triggers", f"{table}.{trigger}")]
    finally:
        bypass(f"ALTER TABLE {table} ENABLE ALWAYS TRIGGER {trigger}")
    assert _fails(conn) == []


def test_superuser_logins_are_information_not_failures(conn, admin):
    name = f"zz_dba_{uuid.uuid4().hex[:6]}"
    admin.execute(sql.SQL("CREATE ROLE {} LOGIN SUPERUSER").format(sql.Identifier(name)))
    try:
        admin.execute(sql.SQL("GRANT outreach_owner, pg_write_all_data TO {}").format(sql.Identifier(name)))
        findings = [f for f in audit_grants(conn) if f["subject"] == name]
        assert findings and {f["severity"] for f in findings} == {"info"}, findings
        assert {f["check"] for f in findings} >= {"superusers", "owner_members", "write_all_data"}
        assert check_grants(conn)["ok"] is True
    finally:
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
