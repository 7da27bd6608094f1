"""Tamper evidence from Python: seal the audited tables, verify the seals,
print the chain heads and check them against heads stored outside the
database (`pyctl audit`).

    from pyctl.tamper import seal, verify_seals, chain_heads, compare_heads
    seal(dsn)                      # -> [{"table_name", "seal_id", "first_id", "last_id", "row_count", "digest"}]
    verify_seals(dsn)              # -> [{"table_name", "seal_id", "status", "detail"}]; 'OK' when intact
    heads = chain_heads(dsn)       # store json.dumps(heads_document(heads)) somewhere else
    compare_heads(dsn, stored)     # -> problems (empty: every stored head is still in its chain)

The work is in the database (shq.fn_seal_audit_tables, shq.fn_verify_audit_seals,
shq.fn_audit_chain_heads); these functions call them and shape the rows.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import psycopg
from psycopg.rows import dict_row

from pyctl.dsn import connect, redact
from pyctl.errors import PyctlError

HEADS_FORMAT = "outreach-audit-heads/1"


def _plain(row: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()}


def _require(conn: psycopg.Connection, function: str) -> None:
    if conn.execute("SELECT to_regproc(%s) IS NULL", (function,)).fetchone()[0]:
        raise PyctlError(f"{function}() does not exist: run `pyctl migrate` first")


def seal(dsn: str, max_wait: float = 10.0, max_rows: int = 250_000) -> list[dict]:
    """Run shq.fn_seal_audit_tables() once (autocommit: READ COMMITTED);
    return the seals it made."""
    with connect(dsn, autocommit=True, application_name="pyctl audit seal") as conn:
        _require(conn, "shq.fn_seal_audit_tables")
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute("SELECT * FROM shq.fn_seal_audit_tables(make_interval(secs => %s), %s)",
                               (max_wait, max_rows)).fetchall()
    return [_plain(r) for r in rows]


def verify_seals(dsn: str, table: str | None = None) -> list[dict]:
    """shq.fn_verify_audit_seals(table): one row per audited table."""
    with connect(dsn, autocommit=True, application_name="pyctl audit verify") as conn:
        _require(conn, "shq.fn_verify_audit_seals")
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute("SELECT * FROM shq.fn_verify_audit_seals(%s::regclass)", (table,)).fetchall()
    return [_plain(r) for r in rows]


def chain_heads(dsn: str) -> list[dict]:
    """The newest seal of every audited table (shq.fn_audit_chain_heads())."""
    with connect(dsn, autocommit=True, application_name="pyctl audit head") as conn:
        _require(conn, "shq.fn_audit_chain_heads")
        with conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute("SELECT * FROM shq.fn_audit_chain_heads()").fetchall()
    return [_plain(r) for r in rows]


def heads_document(heads: list[dict], dsn: str | None = None) -> dict:
    """What `pyctl audit head --format json` prints: the heads, with when and
    from where they were read."""
    return {"format": HEADS_FORMAT, "read_at": datetime.now(timezone.utc).isoformat(),
            "database": redact(dsn) if dsn else None, "heads": heads}


def load_heads(path: str | Path) -> list[dict]:
    """Stored heads: a heads document (or its bare list of heads) in JSON."""
    try:
        doc = json.loads(Path(path).read_text())
    except OSError as e:
        raise PyctlError(f"cannot read stored heads {path}: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise PyctlError(f"stored heads {path} are not JSON: {e}") from None
    heads = doc.get("heads") if isinstance(doc, dict) else doc
    if not isinstance(heads, list) or not all(isinstance(h, dict) and "table_name" in h for h in heads):
        raise PyctlError(f"stored heads {path}: expected the output of `pyctl audit head --format json`")
    return heads


def compare_heads(dsn: str, stored: Iterable[dict]) -> list[dict]:
    """Every stored head (table_name, seal_id, digest) must still be a seal of
    its table's chain with the same digest; heads of tables that had no seal
    when stored are skipped. Returns one problem per head that is not."""
    problems = []
    with connect(dsn, autocommit=True, application_name="pyctl audit verify") as conn:
        for h in stored:
            table, seal_id, digest = h.get("table_name"), h.get("seal_id"), h.get("digest")
            if seal_id is None:
                continue
            row = conn.execute("SELECT table_name, encode(digest, 'hex') FROM shq.audit_seals WHERE seal_id = %s",
                               (seal_id,)).fetchone()
            if row is None:
                problems.append({"table_name": table, "seal_id": seal_id, "status": "HEAD_MISSING",
                                 "detail": f"stored head seal {seal_id} of {table} is no longer in shq.audit_seals"})
            elif row[0] != table or row[1] != digest:
                problems.append({"table_name": table, "seal_id": seal_id, "status": "HEAD_CHANGED",
                                 "detail": f"seal {seal_id} is now {row[0]} digest {row[1]};"
                                           f" stored: {table} digest {digest}"})
    return problems


def install_ddl_guard(dsn: str) -> str:
    """SELECT shq.fn_install_ddl_guard(): 'installed', 'already installed' or
    'not installed: <why>' (event triggers need a superuser)."""
    with connect(dsn, autocommit=True, application_name="pyctl audit guard") as conn:
        _require(conn, "shq.fn_install_ddl_guard")
        return conn.execute("SELECT shq.fn_install_ddl_guard()").fetchone()[0]


def ddl_guard_status(dsn: str) -> list[dict]:
    """The DDL guard's event triggers: name, event, enabled ('A' = always)."""
    with connect(dsn, autocommit=True) as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT evtname AS name, evtevent AS event, evtenabled AS enabled FROM pg_event_trigger"
            " WHERE evtfoid = to_regprocedure('shq.tg_ddl_guard()') ORDER BY 1").fetchall()
