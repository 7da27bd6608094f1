"""Which tables a piece of SQL writes, by the PostgreSQL parser (pglast's
libpg_query), never by pattern matching.

`sql_writes(text)` returns every write statement in `text`, nested ones
included (CTEs, DO blocks, PL/pgSQL and SQL function bodies, BEGIN ATOMIC):
INSERT, UPDATE, DELETE, MERGE, TRUNCATE, COPY ... FROM, and ALTER TABLE ...
DISABLE/ENABLE [REPLICA] TRIGGER or DROP TRIGGER (which take a guard away).
A SELECT, including a SELECT of a function that writes, is not a write here:
calling a sanctioned function is the right way.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache

from pglast import parser as pg_parser

#: ALTER TABLE subcommands that turn a trigger off or weaken ENABLE ALWAYS
TRIGGER_STATE_CHANGES = {
    "AT_DisableTrig": "DISABLE TRIGGER", "AT_DisableTrigAll": "DISABLE TRIGGER ALL",
    "AT_DisableTrigUser": "DISABLE TRIGGER USER", "AT_EnableTrig": "ENABLE TRIGGER",
    "AT_EnableReplicaTrig": "ENABLE REPLICA TRIGGER", "AT_EnableTrigAll": "ENABLE TRIGGER ALL",
    "AT_EnableTrigUser": "ENABLE TRIGGER USER",
}
_MERGE_ACTIONS = {"CMD_INSERT": "INSERT", "CMD_UPDATE": "UPDATE", "CMD_DELETE": "DELETE"}

#: the name pyctl.scan.pysource puts where code computes SQL the scanner cannot read
HOLE = "__pyctl_hole__"
HOLE_NAMES = frozenset({HOLE})

#: driver placeholders that are not PostgreSQL syntax: %s, %(name)s, :name
_PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sbt]|%[sbt]|(?<![:\w]):[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Write:
    statement: str                 # INSERT, UPDATE, ..., COPY FROM, DISABLE TRIGGER, DROP TRIGGER
    operations: tuple[str, ...]    # the privileges it needs: INSERT/UPDATE/DELETE/TRUNCATE; () for trigger changes
    schema: str | None
    name: str
    offset: int                    # character offset of the table name (or statement) in the text
    statement_offset: int          # character offset of the statement

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    @property
    def changes_trigger(self) -> bool:
        return not self.operations


class SQLSyntaxError(Exception):
    def __init__(self, message: str, offset: int | None):
        super().__init__(message)
        self.offset = offset


def normalise_placeholders(text: str) -> str:
    """Driver placeholders become $1 (same length, so offsets still hold)."""
    if "%" not in text and ":" not in text:
        return text
    return _PLACEHOLDER.sub(lambda m: "$1".ljust(len(m.group(0))), text)


@lru_cache(maxsize=8192)
def sql_writes(text: str) -> tuple[Write, ...]:
    """Every write in `text` (see the module doc). Raises SQLSyntaxError."""
    src = normalise_placeholders(text)
    try:
        tree = json.loads(pg_parser.parse_sql_json(src))
    except pg_parser.ParseError as e:
        loc = e.args[1] if len(e.args) > 1 and isinstance(e.args[1], int) else None
        raise SQLSyntaxError(str(e.args[0]) if e.args else str(e), _char_offset(src, loc)) from None
    out: list[Write] = []
    for raw in tree.get("stmts", []):
        start = raw.get("stmt_location", 0)
        length = raw.get("stmt_len") or (len(src.encode("utf-8")) - start)
        _Collector(src, out, start, length).walk(raw.get("stmt", {}))
    return tuple(out)


def _char_offset(text: str, byte_offset: int | None) -> int | None:
    """libpg_query's offsets count UTF-8 bytes; ours count characters."""
    if byte_offset is None or text.isascii():
        return byte_offset
    return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


class _Collector:
    def __init__(self, src: str, out: list[Write], stmt_byte: int, stmt_len: int):
        self.src = src
        self.out = out
        start = _char_offset(src, stmt_byte) or 0
        end = _char_offset(src, stmt_byte + stmt_len)
        self.stmt_text = src[start:end]
        self.stmt_start = start
        self.stmt_offset = start + _leading_blank(self.stmt_text)

    def add(self, statement: str, ops: tuple[str, ...], rangevar: dict | None, schema: str | None = None,
            name: str | None = None) -> None:
        if rangevar is not None:
            schema, name = rangevar.get("schemaname"), rangevar.get("relname")
            offset = _char_offset(self.src, rangevar.get("location"))
        else:
            offset = None
        if not name:
            return
        self.out.append(Write(statement, ops, schema, name,
                              self.stmt_offset if offset is None or offset < 0 else offset, self.stmt_offset))

    def walk(self, node) -> None:
        if isinstance(node, list):
            for item in node:
                self.walk(item)
            return
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            handler = _HANDLERS.get(key)
            if handler is not None and isinstance(value, dict):
                handler(self, value)
            if isinstance(value, (dict, list)):
                self.walk(value)

    # ---- statements
    def insert(self, n: dict) -> None:
        self.add("INSERT", ("INSERT",), n.get("relation"))

    def update(self, n: dict) -> None:
        self.add("UPDATE", ("UPDATE",), n.get("relation"))

    def delete(self, n: dict) -> None:
        self.add("DELETE", ("DELETE",), n.get("relation"))

    def merge(self, n: dict) -> None:
        ops = []
        for clause in n.get("mergeWhenClauses", []):
            op = _MERGE_ACTIONS.get(clause.get("MergeWhenClause", {}).get("commandType"))
            if op and op not in ops:
                ops.append(op)
        if ops:
            self.add("MERGE", tuple(ops), n.get("relation"))

    def truncate(self, n: dict) -> None:
        for rel in n.get("relations", []):
            self.add("TRUNCATE", ("TRUNCATE",), rel.get("RangeVar"))

    def copy(self, n: dict) -> None:
        if n.get("is_from") and n.get("relation"):
            self.add("COPY FROM", ("INSERT",), n["relation"])

    def alter_table(self, n: dict) -> None:
        for cmd in n.get("cmds", []):
            change = TRIGGER_STATE_CHANGES.get(cmd.get("AlterTableCmd", {}).get("subtype"))
            if change:
                self.add(f"ALTER TABLE {change}", (), n.get("relation"))

    def drop(self, n: dict) -> None:
        if n.get("removeType") != "OBJECT_TRIGGER":
            return
        for obj in n.get("objects", []):
            names = [i.get("String", {}).get("sval") for i in obj.get("List", {}).get("items", [])]
            if len(names) >= 2:
                schema, table = (names[-3] if len(names) >= 3 else None), names[-2]
                self.add("DROP TRIGGER", (), None, schema, table)

    def do_block(self, n: dict) -> None:
        body, language = None, "plpgsql"
        for arg in n.get("args", []):
            d = arg.get("DefElem", {})
            if d.get("defname") == "as":
                body = d.get("arg", {}).get("String", {}).get("sval")
            elif d.get("defname") == "language":
                language = d.get("arg", {}).get("String", {}).get("sval", language)
        if body is not None:
            self.routine_body(body, language)

    def create_function(self, n: dict) -> None:
        if n.get("sql_body"):
            return                      # BEGIN ATOMIC: already parsed, the walk descends into it
        body, language = None, "sql"
        for opt in n.get("options", []):
            d = opt.get("DefElem", {})
            if d.get("defname") == "as":
                items = d.get("arg", {}).get("List", {}).get("items", [])
                if items:
                    body = items[0].get("String", {}).get("sval")
            elif d.get("defname") == "language":
                language = d.get("arg", {}).get("String", {}).get("sval", language)
        if body is not None:
            self.routine_body(body, language)

    def routine_body(self, body: str, language: str) -> None:
        """Writes inside a DO block or function body, at their place in the source."""
        found = self.stmt_text.find(body)
        base = self.stmt_start + found if found >= 0 else self.stmt_offset
        if language == "sql":
            queries = [(body, 0)]
        elif language == "plpgsql":
            queries = _plpgsql_queries(self.stmt_text, body)
        else:
            return
        for query, offset in queries:
            try:
                nested = sql_writes(query)
            except SQLSyntaxError:
                continue                # an expression fragment, not a statement
            exact = found >= 0 and offset >= 0
            for w in nested:
                at = base + offset + w.offset if exact else self.stmt_offset
                st = base + offset + w.statement_offset if exact else self.stmt_offset
                self.out.append(Write(w.statement, w.operations, w.schema, w.name, at, st))


def _leading_blank(text: str) -> int:
    """Length of the whitespace and comments before a statement's first token."""
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
        elif text.startswith("--", i):
            nl = text.find("\n", i)
            i = len(text) if nl < 0 else nl + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
        else:
            break
    return i


def _plpgsql_queries(statement: str, body: str) -> list[tuple[str, int]]:
    """Each SQL statement of a PL/pgSQL body, with its offset in the body (-1 if not found verbatim)."""
    try:
        tree = json.loads(pg_parser.parse_plpgsql_json(statement))
    except Exception:   # noqa: BLE001 - pglast raises several types for bad PL/pgSQL
        return []
    queries: list[str] = []

    def collect(node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "PLpgSQL_expr" and isinstance(value, dict) and value.get("parseMode", 0) == 0:
                    queries.append(value.get("query", ""))
                collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(tree)
    out, cursor = [], 0
    for q in queries:
        at = body.find(q, cursor)
        if at >= 0:
            cursor = at + len(q)
        out.append((q, at))
    return out


_HANDLERS = {
    "InsertStmt": _Collector.insert, "UpdateStmt": _Collector.update, "DeleteStmt": _Collector.delete,
    "MergeStmt": _Collector.merge, "TruncateStmt": _Collector.truncate, "CopyStmt": _Collector.copy,
    "AlterTableStmt": _Collector.alter_table, "DropStmt": _Collector.drop, "DoStmt": _Collector.do_block,
    "CreateFunctionStmt": _Collector.create_function,
}
