"""Tamper evidence: a superuser bypasses the append-only triggers
and changes, deletes or inserts a row of each audited table, or edits the
seal chain itself; every time shq.fn_verify_audit_seals names the broken
seal, `pyctl verify --audit` (its audit_seals check) fails and so does
`pyctl audit verify`. The sanctioned cascade's deletions stay verifiable.

Each tampering runs in its own clone of one filled and sealed database, and
is committed, as an attacker's would be."""
from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from psycopg import sql
from psycopg.rows import dict_row

from pyctl.tamper import chain_heads, compare_heads, heads_document
from pyctl.verify import check_audit_seals

#: table -> (ordering key, a column to change, its append-only trigger)
AUDITED = {
    "outreach.bit_signals": ("signal_id", "recorded_at", "trg_bit_signals_010_append_only"),
    "outreach.engagement_events": ("event_id", "recorded_at", "trg_engagement_events_010_append_only"),
    "outreach.override_audit_log": ("audit_id", "occurred_at", "trg_override_audit_log_010_append_only"),
    "outreach.outbox_events": ("event_id", "recorded_at", "trg_outbox_events_010_append_only"),
    "outreach.send_attempt_audit": ("audit_seq", "attempt_timestamp", "trg_send_attempt_audit_010_append_only"),
    "shq.audit_log": ("audit_id", "occurred_at", "trg_audit_log_010_append_only"),
    "shq.tool_violations": ("violation_id", "occurred_at", "trg_tool_violations_010_append_only"),
    # the state history (db/1300), filled by the companies and overrides BUILD_SQL writes
    "cl.company_identity_history": ("history_id", "changed_at", "trg_company_identity_history_010_append_only"),
    "outreach.company_hub_status_history": ("history_id", "changed_at",
                                            "trg_company_hub_status_history_010_append_only"),
    "outreach.company_target_status_history": ("history_id", "changed_at",
                                               "trg_company_target_status_history_010_append_only"),
}
#: a forged copy of a row must still satisfy the table's keys
FORGED_OVERRIDES = {
    "outreach.bit_signals": {"dedup_key": "forged"},
    "outreach.send_attempt_audit": {"audit_id": "00000000-0000-4000-8000-000000000001"},
}
ROWS_PER_SEAL = 40

#: rows in every audited table, through the contract's own functions: companies at tier 0, a tier-0 campaign, gate
#: checks (passing ones and blocked ones), sends, engagement, BIT signals,
#: overrides, a tool violation
BUILD_SQL = [
    "SELECT count(cl.fn_register_company('TMP-' || i, 'Tamper ' || i, 't' || i || '.test'))"
    " FROM generate_series(1, 60) AS i",
    "SELECT count(outreach.fn_create_company_target('TMP-' || i)) FROM generate_series(1, 60) AS i",
    "INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status)"
    " VALUES ('TAMPER-C', 'Tamper', 'EMAIL', 0, 'active')",
    "INSERT INTO outreach.sequences (campaign_id, step_number, template_id, delay_days) VALUES ('TAMPER-C', 1, 't1', 0)",
    "SELECT count(*) FROM generate_series(1, 60) AS i"
    " CROSS JOIN LATERAL outreach.fn_safety_gate_check('NOPE-' || i, 'TAMPER-C', 'bad-' || i) AS x",
    "CREATE TEMP TABLE tamper_gate ON COMMIT DROP AS SELECT 'TMP-' || i AS cid, x.* FROM generate_series(1, 60) AS i"
    " CROSS JOIN LATERAL outreach.fn_safety_gate_check('TMP-' || i, 'TAMPER-C', 'corr-' || i) AS x",
    "INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, sequence_id, channel,"
    " gate_audit_id) SELECT t.outreach_id, t.company_unique_id, t.target_id, 'TAMPER-C', q.sequence_id, 'EMAIL',"
    " g.audit_id FROM tamper_gate g JOIN outreach.company_target t ON t.company_unique_id = g.cid"
    " JOIN outreach.sequences q ON q.campaign_id = 'TAMPER-C' WHERE g.is_eligible",
    "INSERT INTO outreach.engagement_events (send_id, outreach_id, company_unique_id, target_id, event_type)"
    " SELECT s.send_id, s.outreach_id, s.company_unique_id, s.target_id, e.t FROM outreach.send_log s,"
    " (VALUES ('OPEN'), ('CLICK')) AS e(t)",
    "INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)"
    " SELECT o.outreach_id, o.company_unique_id, 'NEWS_MENTION', 5, now() - i * interval '1 day'"
    " FROM outreach.outreach o, generate_series(1, 2) AS i",
    "SELECT count(outreach.set_marketing_override('TMP-' || i, 'BLOCK_PHONE', 'tamper test', 'tester'))"
    " FROM generate_series(1, 10) AS i",
    "SELECT count(*) FROM shq.fn_validate_tool_invocation('TOOL-999', 'company-target', 'READ')",
]


def _connect(dsn):
    return psycopg.connect(dsn, autocommit=True)


def _ident(table: str) -> sql.Composable:
    schema, name = table.split(".")
    return sql.Identifier(schema, name)


def _statuses(conn, table=None) -> dict[str, dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute("SELECT * FROM shq.fn_verify_audit_seals(%s::regclass)", (table,)).fetchall()
    return {r["table_name"]: r for r in rows}


def _seal_covering(conn, table: str, row_id: int) -> int:
    return conn.execute("SELECT min(seal_id) FROM shq.audit_seals WHERE table_name = %s AND last_id >= %s",
                        (table, row_id)).fetchone()[0]


@pytest.fixture(scope="module")
def filled_db(admin, template_db, server_dsn):
    """A database with rows in every audited table, sealed in several seals
    per table (at most ROWS_PER_SEAL rows each); the template of each test's
    own clone."""
    name = f"tamper_filled_{uuid.uuid4().hex[:8]}"
    admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template_db)))
    dsn = server_dsn(name)
    with _connect(dsn) as c:
        with c.transaction():
            for stmt in BUILD_SQL:
                c.execute(stmt)
        c.execute("INSERT INTO outreach.override_audit_log (override_id, company_unique_id, action, override_type,"
                  " reason, actor) SELECT gen_random_uuid(), 'CO-' || i, 'SET', 'BLOCK_EMAIL', 'test', 'tester'"
                  " FROM generate_series(1, 100) AS i")
        c.execute("INSERT INTO shq.tool_violations (violation_code, severity, disposition, message, gate_state)"
                  " SELECT 'V-TOOL-001', 'CRITICAL', 'PARK', 'test ' || i, jsonb_build_object('n', i)"
                  " FROM generate_series(1, 100) AS i")
        c.execute("INSERT INTO shq.audit_log (event_type, details)"
                  " SELECT 'TAMPER_TEST', jsonb_build_object('i', i, 's', 'x\"y') FROM generate_series(1, 100) AS i")
        counts = {t: c.execute(sql.SQL("SELECT count(*) FROM {}").format(_ident(t))).fetchone()[0] for t in AUDITED}
        assert all(n >= 3 for n in counts.values()), counts
        made = c.execute("SELECT table_name, count(*), sum(row_count) FROM shq.fn_seal_audit_tables(p_max_rows => %s)"
                         " GROUP BY 1", (ROWS_PER_SEAL,)).fetchall()
        assert {t: int(n) for t, _, n in made} == counts
        assert all(s >= 2 for _, s, _ in made), made
        assert {r["status"] for r in _statuses(c).values()} == {"OK"}
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
    yield name
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def clone(fresh_db, filled_db):
    return fresh_db(template=filled_db)


def _middle_row(conn, table: str) -> int:
    key = AUDITED[table][0]
    extra = sql.SQL("")
    if table == "outreach.send_attempt_audit":  # a row no send references (its FK would refuse the delete)
        extra = sql.SQL(" WHERE NOT EXISTS (SELECT 1 FROM outreach.send_log s WHERE s.gate_audit_id = t.audit_id)")
    ids = [r[0] for r in conn.execute(sql.SQL("SELECT t.{} FROM {} t{} ORDER BY 1").format(
        sql.Identifier(key), _ident(table), extra)).fetchall()]
    return ids[len(ids) // 2]


def _tamper(conn, table: str, kind: str) -> int:
    """Commit one tampering of `table`; return the id it touched."""
    key, column, trigger = AUDITED[table]
    row_id = _middle_row(conn, table)
    with conn.transaction():
        conn.execute("SET LOCAL shq.migrating = on")  # what a superuser can do: pass the DDL guard
        if kind == "change":
            conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(_ident(table), sql.Identifier(trigger)))
            n = conn.execute(sql.SQL("UPDATE {} SET {} = {} + interval '1 second' WHERE {} = %s").format(
                _ident(table), sql.Identifier(column), sql.Identifier(column), sql.Identifier(key)), (row_id,)).rowcount
        elif kind == "delete":  # the tombstone trigger still records it, unsanctioned
            conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER {}").format(_ident(table), sql.Identifier(trigger)))
            n = conn.execute(sql.SQL("DELETE FROM {} WHERE {} = %s").format(_ident(table), sql.Identifier(key)),
                             (row_id,)).rowcount
        elif kind == "delete_untraced":  # every trigger off: no tombstone either
            conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER ALL").format(_ident(table)))
            n = conn.execute(sql.SQL("DELETE FROM {} WHERE {} = %s").format(_ident(table), sql.Identifier(key)),
                             (row_id,)).rowcount
        elif kind == "insert":  # a copy of a row, given an id inside a sealed range (no trigger to bypass)
            overrides = {key: -row_id, **FORGED_OVERRIDES.get(table, {})}
            cols = [sql.Identifier(r[0]) for r in conn.execute(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
                " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum", (table,)).fetchall()]
            n = conn.execute(sql.SQL(
                "INSERT INTO {t} ({c}) OVERRIDING SYSTEM VALUE"
                " SELECT {rc} FROM {t} x CROSS JOIN LATERAL jsonb_populate_record(NULL::{t}, to_jsonb(x) || %s::jsonb) r"
                " WHERE x.{k} = %s"
            ).format(t=_ident(table), k=sql.Identifier(key), c=sql.SQL(", ").join(cols),
                     rc=sql.SQL(", ").join(sql.SQL("r.{}").format(c) for c in cols)),
                (json.dumps(overrides), row_id)).rowcount
            row_id = -row_id
        else:
            raise AssertionError(kind)
        assert n == 1
        conn.execute("RESET shq.migrating")
    return row_id


EXPECTED = {"change": ("CHANGED", "changed"), "delete": ("MISSING", "other than by the sanctioned cascade"),
            "delete_untraced": ("MISSING", "missing"), "insert": ("INSERTED", "inserted")}


@pytest.mark.parametrize("kind", list(EXPECTED))
@pytest.mark.parametrize("table", list(AUDITED))
def test_tampering_names_the_broken_seal(clone, table, kind, run_pyctl):
    with _connect(clone) as c:
        row_id = _tamper(c, table, kind)
        # the first seal covers every id below its own (a forged negative id included)
        expected_seal = _seal_covering(c, table, max(row_id, 0))
        other_seals = c.execute("SELECT count(*) FROM shq.audit_seals WHERE table_name = %s AND seal_id > %s",
                                (table, expected_seal)).fetchone()[0]
        assert other_seals >= 1 or kind == "insert", "the tampered seal should not be the head"
        statuses = _statuses(c)
        got = statuses[table]
        status, words = EXPECTED[kind]
        assert (got["seal_id"], got["status"]) == (expected_seal, status), got
        assert words in got["detail"], got
        # the other tables are untouched
        assert {t: r["status"] for t, r in statuses.items() if t != table} == {t: "OK" for t in AUDITED if t != table}
        # only that table, when asked for it
        assert _statuses(c, table)[table]["status"] == status
        # `pyctl verify --audit` is this check
        check = check_audit_seals(c)
    assert check["ok"] is False
    assert len(check["failures"]) == 1 and f"table_name={table}" in check["failures"][0]["subject"], check
    assert f"seal_id={expected_seal}" in check["failures"][0]["subject"]
    p = run_pyctl(["audit", "verify", "--dsn", clone])
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"{table} seal {expected_seal} {status}" in p.stderr, p.stderr


def test_pyctl_verify_audit_fails_end_to_end(clone, run_pyctl, tmp_path):
    with _connect(clone) as c:
        _tamper(c, "shq.audit_log", "change")
        seal_id = _seal_covering(c, "shq.audit_log", _middle_row(c, "shq.audit_log"))
    report = tmp_path / "report.json"
    p = run_pyctl(["verify", "--dsn", clone, "--audit", "--report", report])
    assert p.returncode == 1, p.stdout + p.stderr
    checks = json.loads(report.read_text())["checks"]
    assert checks["audit_seals"]["ok"] is False
    assert [f["row"]["status"] for f in checks["audit_seals"]["failures"]] == ["CHANGED"]
    assert checks["audit_seals"]["failures"][0]["row"]["seal_id"] == seal_id
    assert "shq.audit_log" in p.stdout


def test_intact_database_verifies_ok_everywhere(clone, run_pyctl):
    with _connect(clone) as c:
        statuses = _statuses(c)
        assert {r["status"] for r in statuses.values()} == {"OK"}
        heads = {r["table_name"]: r["seal_id"] for r in chain_heads(clone)}
        assert {t: r["seal_id"] for t, r in statuses.items()} == heads
        assert check_audit_seals(c)["ok"] is True
    p = run_pyctl(["audit", "verify", "--dsn", clone])
    assert p.returncode == 0, p.stdout + p.stderr
    assert "audit seals: ok" in p.stdout


# ------------------------------------------------------------------ the chain itself
def _edit_seals(conn, statement: str, params=()) -> None:
    with conn.transaction():
        conn.execute("SET LOCAL shq.migrating = on")
        conn.execute("ALTER TABLE shq.audit_seals DISABLE TRIGGER trg_audit_seals_010_append_only")
        conn.execute(statement, params)


def _seals_of(conn, table):
    return [r[0] for r in conn.execute("SELECT seal_id FROM shq.audit_seals WHERE table_name = %s ORDER BY 1",
                                       (table,)).fetchall()]


@pytest.mark.parametrize("edit", ["row_count", "row_digest", "last_id", "sealed_at"])
def test_an_edited_seal_breaks_the_chain(clone, edit):
    with _connect(clone) as c:
        seals = _seals_of(c, "shq.tool_violations")
        target = seals[1]
        change = {"row_count": "row_count = row_count + 1", "row_digest": "row_digest = sha256('x')",
                  "last_id": "last_id = last_id + 1", "sealed_at": "sealed_at = sealed_at - interval '1 day'"}[edit]
        _edit_seals(c, f"UPDATE shq.audit_seals SET {change} WHERE seal_id = %s", (target,))
        got = _statuses(c)["shq.tool_violations"]
    assert (got["seal_id"], got["status"]) == (target, "CHAIN_BROKEN"), got


def test_a_seal_removed_from_the_middle_breaks_the_chain(clone):
    with _connect(clone) as c:
        seals = _seals_of(c, "outreach.bit_signals")
        _edit_seals(c, "DELETE FROM shq.audit_seals WHERE seal_id = %s", (seals[1],))
        got = _statuses(c)["outreach.bit_signals"]
    assert (got["seal_id"], got["status"]) == (seals[2], "CHAIN_BROKEN"), got
    assert "prev_digest" in got["detail"]


def test_a_forged_seal_breaks_the_chain(clone):
    with _connect(clone) as c:
        head = c.execute("SELECT last_id FROM shq.audit_seals WHERE table_name = 'shq.audit_log'"
                         " ORDER BY seal_id DESC LIMIT 1").fetchone()[0]
        c.execute("INSERT INTO shq.audit_log (event_type) VALUES ('AFTER_THE_HEAD')")
        forged = c.execute(
            "INSERT INTO shq.audit_seals (table_name, id_column, first_id, last_id, row_count, columns, row_digest,"
            " prev_digest, digest) SELECT table_name, id_column, %s, %s, 1, columns, row_digest, sha256('not it'),"
            " digest FROM shq.audit_seals WHERE table_name = 'shq.audit_log' ORDER BY seal_id DESC LIMIT 1"
            " RETURNING seal_id", (head + 1, head + 1)).fetchone()[0]
        got = _statuses(c)["shq.audit_log"]
    assert (got["seal_id"], got["status"]) == (forged, "CHAIN_BROKEN"), got


def test_a_rewritten_head_is_caught_by_the_stored_heads(clone, run_pyctl, tmp_path):
    """Dropping the newest seals leaves a consistent (shorter) chain: only the
    heads stored outside the database show it."""
    stored = tmp_path / "heads.json"
    p = run_pyctl(["audit", "head", "--format", "json", "--dsn", clone])
    assert p.returncode == 0, p.stderr
    stored.write_text(p.stdout)
    doc = json.loads(p.stdout)
    assert {h["table_name"] for h in doc["heads"]} == set(AUDITED)
    p = run_pyctl(["audit", "verify", "--heads", stored, "--dsn", clone])
    assert p.returncode == 0, p.stdout + p.stderr
    with _connect(clone) as c:
        head = max(_seals_of(c, "outreach.override_audit_log"))
        _edit_seals(c, "DELETE FROM shq.audit_seals WHERE seal_id = %s", (head,))
        assert _statuses(c)["outreach.override_audit_log"]["status"] == "OK"  # undetectable inside
    problems = compare_heads(clone, doc["heads"])
    assert [(x["table_name"], x["seal_id"], x["status"]) for x in problems] == [
        ("outreach.override_audit_log", head, "HEAD_MISSING")]
    p = run_pyctl(["audit", "verify", "--heads", stored, "--dsn", clone])
    assert p.returncode == 1 and "HEAD_MISSING" in p.stdout, p.stdout + p.stderr


# ------------------------------------------------------------------ the sanctioned cascade
def _orphan_with_signals(conn, n_signals=3) -> tuple[str, int]:
    cid = f"TAMPER-ORPHAN-{uuid.uuid4().hex[:8]}"
    conn.execute("SELECT cl.fn_register_company(%s, 'Orphan', 'orphan.test')", (cid,))
    conn.execute("INSERT INTO outreach.outreach (company_unique_id) VALUES (%s)", (cid,))  # CL never binds it
    conn.execute("INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)"
                 " SELECT o.outreach_id, o.company_unique_id, 'NEWS_MENTION', 5, now()"
                 " FROM outreach.outreach o, generate_series(1, %s) WHERE o.company_unique_id = %s", (n_signals, cid))
    return cid, n_signals


def test_sanctioned_cascade_deletions_stay_verifiable(clone):
    with _connect(clone) as c:
        cid, n = _orphan_with_signals(c)
        c.execute("SELECT * FROM shq.fn_seal_audit_tables()")
        archived = c.execute("SELECT outreach.fn_archive_orphans('tamper test')").fetchone()[0]
        assert archived >= 1
        tombs = c.execute("SELECT count(*), bool_and(sanctioned) FROM shq.audit_seal_tombstones"
                          " WHERE row_data ->> 'company_unique_id' = %s", (cid,)).fetchone()
        assert tombs == (n, True)
        got = _statuses(c)["outreach.bit_signals"]
        assert got["status"] == "OK", got
        assert "deleted by the sanctioned cascade" in got["detail"]
        # later rows keep sealing on top
        c.execute("INSERT INTO shq.audit_log (event_type) VALUES ('AFTER_CASCADE')")
        c.execute("SELECT * FROM shq.fn_seal_audit_tables()")
        assert {r["status"] for r in _statuses(c).values()} == {"OK"}


def test_a_cascade_before_sealing_is_sealed_from_its_tombstones(clone):
    with _connect(clone) as c:
        cid, n = _orphan_with_signals(c, 2)
        c.execute("SELECT outreach.fn_archive_orphans('tamper test')")
        made = dict(c.execute("SELECT table_name, row_count FROM shq.fn_seal_audit_tables()").fetchall())
        assert made.get("outreach.bit_signals") == n
        assert _statuses(c)["outreach.bit_signals"]["status"] == "OK"


def test_a_sanctioned_looking_delete_of_a_live_company_is_reported(clone):
    """SET ROLE to the owner and the cascade's sanction pass the append-only
    guard, but the company is still in the spine: MISSING."""
    with _connect(clone) as c:
        row_id = _middle_row(c, "outreach.bit_signals")
        with c.transaction():
            c.execute("SET LOCAL ROLE outreach_owner")
            c.execute("SELECT shq.fn_sanction('outreach.fn_delete_outreach_cascade')")
            assert c.execute("DELETE FROM outreach.bit_signals WHERE signal_id = %s", (row_id,)).rowcount == 1
        got = _statuses(c)["outreach.bit_signals"]
        assert (got["seal_id"], got["status"]) == (_seal_covering(c, "outreach.bit_signals", row_id), "MISSING")
        assert f"signal_id = {row_id}" in got["detail"]
        tomb = c.execute("SELECT sanctioned FROM shq.audit_seal_tombstones WHERE table_name = 'outreach.bit_signals'"
                         " AND row_id = %s", (row_id,)).fetchone()
        assert tomb == (True,)


def test_verify_rejects_a_table_that_is_not_audited(clone):
    with _connect(clone) as c:
        with pytest.raises(psycopg.errors.lookup("22023"), match="not a sealed audit table"):
            c.execute("SELECT * FROM shq.fn_verify_audit_seals('cl.company_identity')")
        with pytest.raises(psycopg.errors.UndefinedTable):
            c.execute("SELECT * FROM shq.fn_verify_audit_seals('shq.no_such_table')")


def test_heads_document_round_trip(clone, tmp_path):
    heads = chain_heads(clone)
    doc = heads_document(heads, clone)
    assert doc["format"] == "outreach-audit-heads/1"
    assert all(len(h["digest"]) == 64 for h in heads if h["seal_id"] is not None)
    assert compare_heads(clone, heads) == []
