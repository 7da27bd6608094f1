"""The DDL guard: outside `pyctl migrate`, DDL that would weaken the
append-only or sovereign tables is refused (OG010) for every role, the
superuser included and under session_replication_role = replica; with the
migrate setting it passes; re-applying the repeatable sources unchanged
passes even without it; unrelated DDL is not affected; a non-superuser
cannot install it and is told why."""
from __future__ import annotations

import psycopg
import pytest

from pyctl.resources import SQL_ROOT
from pyctl.migrate import MigrateResult, apply_repeatables, migrate, read_manifest
from pyctl.grants_audit import audit_grants

#: (statement, words of the refusal)
REFUSED = [
    ("ALTER TABLE shq.audit_log DISABLE TRIGGER trg_audit_log_010_append_only", "disabled"),
    ("ALTER TABLE outreach.send_attempt_audit DISABLE TRIGGER ALL", "disabled"),
    ("ALTER TABLE outreach.bit_signals DISABLE TRIGGER USER", "disabled"),
    ("ALTER TABLE outreach.manual_overrides DISABLE TRIGGER trg_manual_overrides_010_sovereign_guard", "disabled"),
    ("ALTER TABLE shq.audit_log ENABLE TRIGGER trg_audit_log_010_append_only", "disabled (tgenabled A -> O)"),
    ("ALTER TABLE shq.audit_log ENABLE REPLICA TRIGGER trg_audit_log_010_append_only", "disabled (tgenabled A -> R)"),
    ("ALTER TABLE shq.audit_seals DISABLE TRIGGER trg_audit_seals_010_append_only", "disabled"),
    ("DROP TABLE shq.tool_violations", "drop table shq.tool_violations"),
    ("DROP TABLE outreach.hub_registry CASCADE", "drop table outreach.hub_registry"),
    ("DROP TABLE shq.audit_seals", "drop table shq.audit_seals"),
    ("ALTER TABLE outreach.override_audit_log RENAME TO override_audit_log_old", "renamed"),
    ("ALTER TABLE outreach.bit_scores SET SCHEMA public", "renamed or moved"),
    ("DROP TRIGGER trg_audit_log_010_append_only ON shq.audit_log", "drop trigger"),
    ("DROP TRIGGER trg_company_hub_status_010_sovereign_guard ON outreach.company_hub_status", "drop trigger"),
    ("DROP TRIGGER trg_bit_signals_900_seal_tombstone ON outreach.bit_signals", "drop trigger"),
    ("ALTER TRIGGER trg_audit_log_010_append_only ON shq.audit_log RENAME TO x", "ALTER TRIGGER"),
    ("ALTER TABLE shq.tool_violations ALTER COLUMN message TYPE varchar(100)", "ALTER COLUMN TYPE"),
    ("ALTER TABLE outreach.bit_signals ALTER COLUMN dedup_key TYPE varchar(300)", "ALTER COLUMN TYPE"),
    ("ALTER TABLE shq.tool_violations DROP COLUMN human_approval_ref", "dropped"),
    ("ALTER TABLE shq.audit_log SET UNLOGGED", "UNLOGGED"),
    ("ALTER TABLE shq.audit_seals SET UNLOGGED", "UNLOGGED"),
    ("ALTER TABLE shq.audit_log OWNER TO outreach_reader", "given to outreach_reader"),
    ("CREATE RULE no_delete AS ON DELETE TO shq.audit_log DO INSTEAD NOTHING", "CREATE RULE"),
    ("CREATE RULE swallow AS ON INSERT TO outreach.send_attempt_audit DO INSTEAD NOTHING", "CREATE RULE"),
    ("CREATE OR REPLACE TRIGGER trg_audit_log_010_append_only BEFORE UPDATE ON shq.audit_log"
     " FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only()", "redefined"),
    ("CREATE OR REPLACE FUNCTION shq.tg_append_only() RETURNS trigger LANGUAGE plpgsql"
     " AS $$ BEGIN RETURN NULL; END $$", "guard function shq.tg_append_only() redefined"),
    ("CREATE OR REPLACE FUNCTION shq.fn_verify_audit_seals(p_table regclass DEFAULT NULL) RETURNS TABLE"
     " (table_name text, seal_id bigint, status text, detail text) LANGUAGE sql AS $$ SELECT NULL::text,"
     " NULL::bigint, 'OK', '' $$", "redefined"),
    ("ALTER FUNCTION shq.tg_sovereign_guard() SECURITY DEFINER", "redefined"),
    ("DROP FUNCTION shq.tg_append_only() CASCADE", "drop function shq.tg_append_only()"),
    ("DROP FUNCTION shq.fn_seal_audit_tables(interval, integer)", "drop function"),
    ("DROP SCHEMA shq CASCADE", "DROP SCHEMA naming schema shq"),
    ("DROP SCHEMA outreach CASCADE", "drop table outreach."),
    ("DROP OWNED BY outreach_owner CASCADE", "DROP OWNED naming role outreach_owner"),
    ("DROP EXTENSION plpgsql CASCADE", "plpgsql"),
    ("DROP FUNCTION shq.tg_ddl_guard() CASCADE", "the DDL guard function"),
    ("CREATE OR REPLACE FUNCTION shq.tg_ddl_guard() RETURNS event_trigger LANGUAGE plpgsql"
     " AS $$ BEGIN END $$", "the DDL guard function"),
]

SHAPE = """
SELECT n.nspname || '.' || c.relname, c.relpersistence::text, pg_get_userbyid(c.relowner),
       (SELECT string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod), ',' ORDER BY a.attnum)
          FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
       (SELECT string_agg(t.tgname || ':' || t.tgenabled::text || ':' || md5(pg_get_triggerdef(t.oid)), ',' ORDER BY t.tgname)
          FROM pg_trigger t WHERE t.tgrelid = c.oid),
       (SELECT count(*) FROM pg_rewrite r WHERE r.ev_class = c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN ('outreach', 'shq') AND c.relkind = 'r'
UNION ALL
SELECT 'fn ' || p.oid::regprocedure::text, md5(p.prosrc), pg_get_userbyid(p.proowner), p.prosecdef::text, NULL, NULL
  FROM pg_proc p WHERE p.pronamespace = 'shq'::regnamespace
ORDER BY 1
"""


def _shape(conn):
    return conn.execute(SHAPE).fetchall()


def _refused(conn, statement, words, setup=()):
    with pytest.raises(psycopg.Error) as err:
        with conn.transaction():
            for s in setup:
                conn.execute(s)
            conn.execute(statement)
    assert err.value.sqlstate == "OG010", (statement, err.value.sqlstate, str(err.value))
    assert words.lower() in str(err.value).lower(), (statement, str(err.value))
    assert err.value.diag.message_hint and "pyctl migrate" in err.value.diag.message_hint


@pytest.mark.parametrize("statement,words", REFUSED, ids=[s[:70] for s, _ in REFUSED])
def test_weakening_ddl_is_refused_for_the_superuser(conn, statement, words):
    before = _shape(conn)
    _refused(conn, statement, words)
    _refused(conn, statement, words, setup=["SET LOCAL session_replication_role = replica"])
    assert _shape(conn) == before


@pytest.mark.parametrize("statement,words", REFUSED, ids=[s[:70] for s, _ in REFUSED])
def test_weakening_ddl_is_refused_for_the_owner(conn, statement, words):
    """outreach_owner owns the tables (it may ALTER them): refused all the same."""
    before = _shape(conn)
    with pytest.raises(psycopg.Error) as err:
        with conn.transaction():
            conn.execute("SET LOCAL ROLE outreach_owner")
            conn.execute(statement)
    # the owner may also lack a privilege the statement needs (e.g. DISABLE
    # TRIGGER ALL on internal triggers): refused either way
    assert err.value.sqlstate in ("OG010", "42501"), (statement, err.value)
    assert _shape(conn) == before


@pytest.mark.parametrize("statement", [
    "ALTER TABLE shq.audit_log DISABLE TRIGGER trg_audit_log_010_append_only",
    "DROP TRIGGER trg_audit_log_011_append_only_truncate ON shq.audit_log",
    "ALTER TABLE outreach.bit_signals ALTER COLUMN dedup_key TYPE varchar(200)",
    "ALTER TABLE shq.tool_violations SET UNLOGGED",
    "CREATE RULE r AS ON UPDATE TO outreach.bit_scores DO INSTEAD NOTHING",
])
def test_the_migrate_setting_lets_it_through(conn, statement):
    before = _shape(conn)
    with conn.transaction() as tx:
        conn.execute("SET LOCAL shq.migrating = 'on'")
        conn.execute(statement)
        assert _shape(conn) != before
        raise psycopg.Rollback(tx)  # a migration would commit it
    assert _shape(conn) == before


@pytest.mark.parametrize("statement", [
    "ALTER TABLE shq.audit_log ADD COLUMN note text",
    "ALTER TABLE shq.audit_log ENABLE ALWAYS TRIGGER trg_audit_log_010_append_only",
    "ALTER TABLE shq.audit_log OWNER TO outreach_owner",
    "COMMENT ON TABLE shq.audit_log IS 'still the audit log'",
    "CREATE INDEX ON shq.audit_log (correlation_id)",
    "ALTER FUNCTION shq.fn_seal_audit_tables(interval, integer) OWNER TO outreach_owner",
    "CREATE TABLE outreach.zz_scratch (x int); DROP TABLE outreach.zz_scratch",
    "CREATE FUNCTION shq.zz_scratch() RETURNS int LANGUAGE sql AS 'SELECT 1'; DROP FUNCTION shq.zz_scratch()",
    "CREATE SCHEMA zz_scratch; CREATE TABLE zz_scratch.t (x int); DROP SCHEMA zz_scratch CASCADE",
])
def test_harmless_ddl_passes(conn, statement):
    with conn.transaction() as tx:
        conn.execute(statement)
        raise psycopg.Rollback(tx)


def test_re_applying_the_repeatable_sources_passes_without_the_migrate_setting(dsn, conn):
    """Identical re-definitions weaken nothing: the repeatable pass runs
    unguarded-free even on a plain connection (pyctl migrate sets the
    setting anyway)."""
    before = _shape(conn)
    with psycopg.connect(dsn) as plain:
        assert plain.execute("SELECT current_setting('shq.migrating', true)").fetchone()[0] in (None, "")
        apply_repeatables(plain, SQL_ROOT, read_manifest(SQL_ROOT), lambda _m: None, MigrateResult())
    assert _shape(conn) == before
    assert conn.execute("SELECT count(*) FROM pg_event_trigger WHERE evtenabled = 'A'"
                        " AND evtfoid = 'shq.tg_ddl_guard()'::regprocedure").fetchone()[0] == 3


def test_pyctl_migrate_again_keeps_the_guard(dsn, conn):
    migrate(dsn)
    rows = conn.execute("SELECT evtname, evtevent, evtenabled FROM pg_event_trigger ORDER BY 1").fetchall()
    assert rows == [("shq_ddl_guard_drop", "sql_drop", "A"), ("shq_ddl_guard_end", "ddl_command_end", "A"),
                    ("shq_ddl_guard_start", "ddl_command_start", "A")]


def test_unrelated_ddl_of_a_plain_login_is_not_affected(login_role):
    """The event trigger fires for every role; it must not fail for one that
    may not even use the project schemas."""
    _, c = login_role()
    c.execute("CREATE TEMP TABLE t (x int)")
    c.execute("ALTER TABLE t ADD COLUMN y int")
    c.execute("CREATE FUNCTION pg_temp.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    c.execute("DROP TABLE t")


def test_a_plain_login_cannot_weaken_anything(login_role):
    _, c = login_role("outreach_governor")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        c.execute("ALTER TABLE shq.audit_log DISABLE TRIGGER trg_audit_log_010_append_only")


def test_install_needs_a_superuser_and_says_why(fresh_db, login_role, server_dsn):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        # a superuser can always remove it (event trigger commands fire no event trigger)
        for name in ("shq_ddl_guard_start", "shq_ddl_guard_end", "shq_ddl_guard_drop"):
            c.execute(f"DROP EVENT TRIGGER {name}")
        findings = [f for f in audit_grants(c) if f["check"] == "ddl_guard"]
        assert [f["severity"] for f in findings] == ["warning"], findings
        # the repeatable file, run by a role that is not a superuser
        c.execute("CREATE ROLE zz_migrator NOLOGIN")
        c.execute("GRANT outreach_owner TO zz_migrator")
        try:
            warnings = []
            c.add_notice_handler(lambda d: warnings.append((d.severity_nonlocalized, d.message_primary, d.message_hint)))
            with c.transaction():
                c.execute("SET LOCAL ROLE zz_migrator")
                c.execute((SQL_ROOT / "triggers/shq/ddl_guard__event_trigger.sql").read_text())
            assert any(sev == "WARNING" and "event triggers need a superuser" in msg and "zz_migrator" in msg
                       and "superuser" in hint for sev, msg, hint in warnings), warnings
            assert c.execute("SELECT count(*) FROM pg_event_trigger").fetchone()[0] == 0
            with c.transaction():
                c.execute("SET LOCAL ROLE zz_migrator")
                out = c.execute("SELECT shq.fn_install_ddl_guard()").fetchone()[0]
            assert out.startswith("not installed: event triggers need a superuser")
            # unguarded: the weakening DDL goes through (inside a rolled-back transaction)
            with c.transaction() as tx:
                c.execute("ALTER TABLE shq.audit_log DISABLE TRIGGER trg_audit_log_010_append_only")
                raise psycopg.Rollback(tx)
        finally:
            c.execute("DROP OWNED BY zz_migrator")
            c.execute("DROP ROLE zz_migrator")
        # a superuser installs it later
        assert c.execute("SELECT shq.fn_install_ddl_guard()").fetchone()[0] == "installed"
        assert c.execute("SELECT shq.fn_install_ddl_guard()").fetchone()[0] == "already installed"
        _refused(c, "ALTER TABLE shq.audit_log DISABLE TRIGGER trg_audit_log_010_append_only", "disabled")
        assert [f for f in audit_grants(c) if f["check"] == "ddl_guard"] == []


def test_install_repairs_a_disabled_event_trigger(fresh_db):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("ALTER EVENT TRIGGER shq_ddl_guard_end DISABLE")
        assert [f["severity"] for f in audit_grants(c) if f["check"] == "ddl_guard"] == ["warning"]
        with c.transaction() as tx:  # disabled: ALTER COLUMN TYPE is not looked at
            c.execute("ALTER TABLE shq.tool_violations ALTER COLUMN message TYPE varchar(100)")
            raise psycopg.Rollback(tx)
        assert c.execute("SELECT shq.fn_install_ddl_guard()").fetchone()[0] == "installed"
        _refused(c, "ALTER TABLE shq.tool_violations ALTER COLUMN message TYPE varchar(100)", "ALTER COLUMN TYPE")
