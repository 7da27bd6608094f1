"""The registry of guarded tables (shq.guarded_tables): every kind of guard
broken on a throwaway database is reported by shq.fn_check_guard_triggers and
the grants audit, and `pyctl migrate` puts it back; the DDL guard and the
sovereign guard read the registry."""
from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pyctl.grants_audit import audit_grants
from pyctl.migrate import MigrateError, MigrateResult, apply_repeatables, migrate, read_manifest

#: the checkout's SQL sources (this file is in tests/)
ROOT = Path(__file__).resolve().parent.parent


def _problems(c) -> list[tuple]:
    return c.execute("SELECT table_name, trigger_name, problem FROM shq.fn_check_guard_triggers()").fetchall()


def _bypass(c, statement: str) -> None:
    """What a superuser (or a migration) may do: past the DDL guard."""
    with c.transaction():
        c.execute("SET LOCAL shq.migrating = on")
        c.execute(statement)


BROKEN = [
    # (kind, statement, table, trigger, problem)
    ("append_only", "ALTER TABLE shq.audit_seals ENABLE TRIGGER trg_audit_seals_011_append_only_truncate",
     "shq.audit_seals", "trg_audit_seals_011_append_only_truncate", "NOT_ALWAYS"),
    ("sealed", "DROP TRIGGER trg_tool_violations_900_seal_tombstone ON shq.tool_violations",
     "shq.tool_violations", "trg_tool_violations_900_seal_tombstone", "MISSING"),
    ("sovereign", "ALTER TABLE shq.guarded_tables DISABLE TRIGGER trg_guarded_tables_010_sovereign_guard",
     "shq.guarded_tables", "trg_guarded_tables_010_sovereign_guard", "NOT_ALWAYS"),
    ("attachment", "CREATE OR REPLACE TRIGGER trg_people_master_010_attachment BEFORE INSERT ON people.people_master"
                   " FOR EACH ROW EXECUTE FUNCTION outreach.tg_subhub_attachment()",
     "people.people_master", "trg_people_master_010_attachment", "CHANGED"),
    ("write_once", "ALTER TABLE cl.company_identity ENABLE REPLICA TRIGGER trg_company_identity_010_before_write",
     "cl.company_identity", "trg_company_identity_010_before_write", "NOT_ALWAYS"),
    ("send_log", "ALTER TABLE outreach.send_log ENABLE TRIGGER trg_send_log_010_gate_guard",
     "outreach.send_log", "trg_send_log_010_gate_guard", "NOT_ALWAYS"),
    ("engagement", "DROP TRIGGER trg_engagement_events_020_send_ids ON outreach.engagement_events",
     "outreach.engagement_events", "trg_engagement_events_020_send_ids", "MISSING"),
]


@pytest.mark.parametrize("kind,statement,table,trigger,problem", BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_guard_is_reported_and_migrate_repairs_it(fresh_db, kind, statement, table, trigger, problem):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        assert _problems(c) == []
        _bypass(c, statement)
        assert _problems(c) == [(table, trigger, problem)]
        assert [(f["check"], f["subject"]) for f in audit_grants(c) if f["severity"] == "fail"] == [
            ("guard_triggers", f"{table}.{trigger}")]
    migrate(dsn)  # a generated trigger from the registry, a hand-written one from its file
    with psycopg.connect(dsn, autocommit=True) as c:
        assert _problems(c) == []


def test_a_data_only_restore_leaves_every_guard_at_enable_and_migrate_restores_always(fresh_db):
    """pg_restore --data-only --disable-triggers ends with ENABLE TRIGGER ALL:
    ALWAYS becomes ENABLE (skipped under session_replication_role = replica)."""
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        expected = c.execute("SELECT table_name::text, trigger_name::text FROM shq.fn_guard_triggers()"
                             " ORDER BY 1, 2").fetchall()
        tables = sorted({t for t, _ in expected})
        with c.transaction():
            c.execute("SET LOCAL shq.migrating = on")
            for t in tables:
                c.execute(f"ALTER TABLE {t} DISABLE TRIGGER ALL")
                c.execute(f"ALTER TABLE {t} ENABLE TRIGGER ALL")
        got = c.execute("SELECT table_name, trigger_name, problem FROM shq.fn_check_guard_triggers()"
                        " ORDER BY 1, 2").fetchall()
        assert [(t, n) for t, n, _ in got] == expected
        assert {p for _, _, p in got} == {"NOT_ALWAYS"}
        assert len(expected) >= 48
    migrate(dsn)
    with psycopg.connect(dsn, autocommit=True) as c:
        assert _problems(c) == []


def test_a_guard_function_on_an_unregistered_table_is_reported(fresh_db):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE TABLE outreach.zz_new_log (id int)")
        c.execute("CREATE TRIGGER zz_new_log_010_append_only BEFORE UPDATE OR DELETE ON outreach.zz_new_log"
                  " FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only()")
        assert _problems(c) == [("outreach.zz_new_log", "zz_new_log_010_append_only", "UNREGISTERED")]


def test_registering_a_table_generates_its_triggers(fresh_db):
    """A new append-only table needs one registry row (a migration), no trigger file."""
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE TABLE outreach.zz_new_log (id int)")
        c.execute("ALTER TABLE outreach.zz_new_log OWNER TO outreach_owner")
        with c.transaction():
            c.execute("SET LOCAL ROLE outreach_owner")
            c.execute("SELECT shq.fn_sanction('shq.guarded_tables')")
            c.execute("INSERT INTO shq.guarded_tables (table_name, kind) VALUES ('outreach.zz_new_log', 'append_only')")
        assert {(t, p) for _, t, p in _problems(c)} == {
            ("trg_zz_new_log_010_append_only", "MISSING"), ("trg_zz_new_log_011_append_only_truncate", "MISSING")}
    migrate(dsn)
    with psycopg.connect(dsn, autocommit=True) as c:
        assert _problems(c) == []
        c.execute("INSERT INTO outreach.zz_new_log VALUES (1)")
        with pytest.raises(psycopg.Error) as e:
            c.execute("DELETE FROM outreach.zz_new_log")
        assert e.value.sqlstate == "OG004"
        with pytest.raises(psycopg.Error) as e:  # the DDL guard protects it too
            c.execute("ALTER TABLE outreach.zz_new_log DISABLE TRIGGER trg_zz_new_log_010_append_only")
        assert e.value.sqlstate == "OG010"


def test_a_registered_hand_written_trigger_that_nobody_defines_fails_the_migration(fresh_db):
    dsn = fresh_db()
    with psycopg.connect(dsn, autocommit=True) as c:
        before = c.execute("SELECT count(*) FROM shq.guarded_tables").fetchone()[0]
        with c.transaction():
            c.execute("SET LOCAL ROLE outreach_owner")
            c.execute("SELECT shq.fn_sanction('shq.guarded_tables')")
            c.execute("UPDATE shq.guarded_tables SET triggers = triggers || 'trg_send_log_999_nobody'::name"
                      " WHERE kind = 'send_log'")
    with pytest.raises(MigrateError) as e:
        with psycopg.connect(dsn) as c:
            apply_repeatables(c, ROOT, read_manifest(ROOT), lambda _m: None, MigrateResult())
    assert "triggers/shq/guard_triggers.sql" in str(e.value)
    assert "trg_send_log_999_nobody" in str(e.value) and "42704" in str(e.value)
    with psycopg.connect(dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*) FROM shq.guarded_tables").fetchone()[0] == before
        assert _problems(c) == [("outreach.send_log", "trg_send_log_999_nobody", "MISSING")]


@pytest.mark.parametrize("statement", [
    "ALTER TABLE outreach.send_log DISABLE TRIGGER trg_send_log_010_gate_guard",
    "ALTER TABLE cl.company_identity ENABLE TRIGGER trg_company_identity_010_before_write",
    "DROP TRIGGER trg_talent_flow_010_attachment ON outreach.talent_flow",
    "ALTER TABLE shq.guarded_tables DISABLE TRIGGER ALL",
    "DROP TABLE shq.guarded_tables",
    "ALTER TABLE shq.guarded_tables ALTER COLUMN kind TYPE varchar(20)",
])
def test_the_ddl_guard_protects_every_registered_table(conn, statement):
    with pytest.raises(psycopg.Error) as e:
        with conn.transaction():
            conn.execute(statement)
    assert e.value.sqlstate == "OG010", e.value
    assert _problems(conn) == []


def test_a_refused_sovereign_write_is_told_the_registered_writer(conn):
    with pytest.raises(psycopg.Error) as e:
        conn.execute("DELETE FROM outreach.manual_overrides")
    assert e.value.sqlstate == "OG005"
    assert e.value.diag.message_hint == "Use outreach.set_marketing_override or outreach.remove_marketing_override."
    with pytest.raises(psycopg.Error) as e:
        conn.execute("DELETE FROM shq.guarded_tables")
    assert e.value.diag.message_hint == "The registry of guarded tables changes only through a migration."
