"""What `pyctl scan` enforces, read from the database (or from a snapshot file
that `pyctl scan --export-rules FILE` wrote from it, so CI can scan without
a database).

The database is the truth:
  - guarded tables: the tables that carry a trigger calling one of the guard
    trigger functions (GUARD_FUNCTIONS), and which writes the database
    refuses there: the guard trigger's events, plus every write privilege no
    role but the owner holds (read in `guarded_tables`, the one place);
  - tools: shq.tool_registry; vendors as code sees them: shq.tool_vendor_identifiers;
  - hubs and their DONE checkers: outreach.hub_registry, shq.hub_done_checkers.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from pyctl.errors import PyctlError

SNAPSHOT_FORMAT = "pyctl-scan-rules"
SNAPSHOT_VERSION = 1

#: the guard trigger functions: kind of guard, and the SQLSTATE it raises
GUARD_FUNCTIONS: dict[str, tuple[str, str]] = {
    "shq.tg_sovereign_guard": ("sovereign", "OG005"),
    "shq.tg_append_only": ("append-only", "OG004"),
    "cl.tg_company_identity__before_write": ("write-once identity", "OG003"),
}

WRITE_OPERATIONS = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")
#: pg_trigger.tgtype bits of the events (PostgreSQL's TRIGGER_TYPE_*)
_TGTYPE_EVENTS = {"INSERT": 4, "DELETE": 8, "UPDATE": 16, "TRUNCATE": 32}


@dataclass
class GuardedTable:
    table: str                      # schema.name
    kind: str                       # sovereign | append-only | write-once identity
    sqlstate: str                   # what the database raises for a refused write
    operations: list[str]           # the writes the database refuses to every caller role
    guard_operations: list[str]     # those of them its guard trigger refuses (the rest: no role holds the privilege)
    #: the SECURITY DEFINER functions that write it (directly or through a private helper)
    writers: list[str] = field(default_factory=list)


@dataclass
class Tool:
    tool_id: str
    tool_name: str
    vendor: str
    allowed_hubs: list[str]
    allowed_interactions: list[str]
    is_banned: bool


@dataclass
class VendorIdentifier:
    kind: str                       # pypi_package | import_name | api_host
    identifier: str
    vendor: str


@dataclass
class Hub:
    hub_id: str
    hub_name: str
    is_required: bool
    checker: str | None             # shq.fn_check_*_done, or None when the database has none
    checker_exists: bool            # the function exists in the database
    criteria: str | None            # the checker's COMMENT


@dataclass
class RuleSet:
    guarded_tables: list[GuardedTable] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    vendor_identifiers: list[VendorIdentifier] = field(default_factory=list)
    hubs: list[Hub] = field(default_factory=list)
    #: every shq.fn_check_*_done function that exists
    done_checkers: list[str] = field(default_factory=list)
    source: str = ""
    exported_at: str = ""

    # ---- derived views, computed once
    def __post_init__(self) -> None:
        self._index()

    def _index(self) -> None:
        self.guarded_by_name: dict[str, list[GuardedTable]] = {}
        for g in self.guarded_tables:
            self.guarded_by_name.setdefault(g.table.split(".", 1)[1], []).append(g)
        self.guarded_by_qualified = {g.table: g for g in self.guarded_tables}
        self.tools_by_id = {t.tool_id: t for t in self.tools}
        self.vendor_tools: dict[str, list[Tool]] = {}
        for t in self.tools:
            self.vendor_tools.setdefault(t.vendor, []).append(t)
        self.hubs_by_id = {h.hub_id: h for h in self.hubs}

    def vendor_banned(self, vendor: str) -> bool:
        """A vendor is banned when it has tools and every one is banned."""
        tools = self.vendor_tools.get(vendor, [])
        return bool(tools) and all(t.is_banned for t in tools)

    def vendor_registered(self, vendor: str) -> bool:
        return vendor in self.vendor_tools

    def vendor_allowed_for(self, vendor: str, hub_id: str) -> bool:
        """Does some non-banned tool of the vendor list the hub in allowed_hubs?"""
        return any(hub_id in t.allowed_hubs and not t.is_banned for t in self.vendor_tools.get(vendor, []))

    def vendor_hubs(self, vendor: str) -> list[str]:
        return sorted({h for t in self.vendor_tools.get(vendor, []) if not t.is_banned for h in t.allowed_hubs})

    def identifiers(self, kind: str) -> dict[str, str]:
        """identifier -> vendor, for one kind."""
        return {v.identifier: v.vendor for v in self.vendor_identifiers if v.kind == kind}

    # ---- snapshot file
    def to_json(self) -> dict:
        return {
            "format": SNAPSHOT_FORMAT, "version": SNAPSHOT_VERSION,
            "source": self.source, "exported_at": self.exported_at,
            "guarded_tables": [asdict(g) for g in self.guarded_tables],
            "tools": [asdict(t) for t in self.tools],
            "vendor_identifiers": [asdict(v) for v in self.vendor_identifiers],
            "hubs": [asdict(h) for h in self.hubs],
            "done_checkers": list(self.done_checkers),
        }

    @classmethod
    def from_json(cls, data: dict, source: str) -> "RuleSet":
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise PyctlError(f"{source}: not a pyctl scan rules snapshot (write one with "
                             "`pyctl scan --export-rules FILE`)", exit_code=2)
        if data.get("version") != SNAPSHOT_VERSION:
            raise PyctlError(f"{source}: snapshot version {data.get('version')!r} is not {SNAPSHOT_VERSION}; "
                             "export it again with this pyctl", exit_code=2)
        try:
            return cls(
                guarded_tables=[GuardedTable(**g) for g in data["guarded_tables"]],
                tools=[Tool(**t) for t in data["tools"]],
                vendor_identifiers=[VendorIdentifier(**v) for v in data["vendor_identifiers"]],
                hubs=[Hub(**h) for h in data["hubs"]],
                done_checkers=list(data["done_checkers"]),
                source=data.get("source") or source,
                exported_at=data.get("exported_at") or "",
            )
        except (KeyError, TypeError) as e:
            raise PyctlError(f"{source}: malformed rules snapshot ({type(e).__name__}: {e})", exit_code=2) from None


def load(path: Path) -> RuleSet:
    """The rules of a snapshot file; a missing or malformed file exits 2."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise PyctlError(f"cannot read rules snapshot {path}: {e.strerror or e}", exit_code=2) from None
    except ValueError as e:
        raise PyctlError(f"rules snapshot {path} is not JSON: {e}", exit_code=2) from None
    return RuleSet.from_json(data, str(path))


def dump(rules: RuleSet, path: Path) -> None:
    Path(path).write_text(json.dumps(rules.to_json(), indent=2, sort_keys=False) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ from the database
def guarded_tables(conn) -> list[GuardedTable]:
    """The guarded tables as the database has them: every table with a trigger
    that calls a guard trigger function, and the writes refused there to all
    caller roles (the guard triggers' events, plus each write privilege that
    no role other than the owner, superusers aside, holds).

    The one place that decides which tables are guarded: the tables of the
    registry shq.guarded_tables whose guard refuses writes (sovereign,
    append-only, write-once), as their triggers have them."""
    rows = conn.execute(
        """
        SELECT n.nspname || '.' || c.relname AS table_name,
               pn.nspname || '.' || p.proname AS guard_function,
               bit_or(t.tgtype::int) AS tgtypes,
               array(SELECT DISTINCT a.privilege_type
                       FROM aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
                      WHERE a.grantee <> c.relowner
                        AND a.grantee NOT IN (SELECT oid FROM pg_roles WHERE rolsuper)) AS granted
          FROM pg_trigger t
          JOIN pg_class c ON c.oid = t.tgrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_proc p ON p.oid = t.tgfoid
          JOIN pg_namespace pn ON pn.oid = p.pronamespace
         WHERE NOT t.tgisinternal
           AND pn.nspname || '.' || p.proname = ANY(%s)
           AND c.oid IN (SELECT g.table_name FROM shq.guarded_tables g
                          WHERE g.kind IN ('sovereign', 'append_only', 'write_once'))
         GROUP BY 1, 2, c.relacl, c.relowner
         ORDER BY 1, 2
        """, (list(GUARD_FUNCTIONS),)).fetchall()
    by_table: dict[str, GuardedTable] = {}
    for table, function, tgtypes, granted in rows:
        kind, sqlstate = GUARD_FUNCTIONS[function]
        events = {op for op, bit in _TGTYPE_EVENTS.items() if tgtypes & bit}
        refused = events | {op for op in WRITE_OPERATIONS if op not in set(granted)}
        g = by_table.get(table)
        if g is None:
            g = by_table[table] = GuardedTable(table, kind, sqlstate, [], [])
        elif kind == "sovereign":      # a sovereign guard says more than an identity one
            g.kind, g.sqlstate = kind, sqlstate
        g.operations = [op for op in WRITE_OPERATIONS if op in refused or op in g.operations]
        g.guard_operations = [op for op in WRITE_OPERATIONS if op in events or op in g.guard_operations]
    return list(by_table.values())


def sanctioned_writers(conn) -> dict[str, list[str]]:
    """table -> the public SECURITY DEFINER functions of the project schemas
    that write it, those that write fewest tables first, read from their
    definitions with the scan's own SQL reader (a private `_helper` that
    writes counts for the functions that name it)."""
    from pyctl.policy import PROJECT_SCHEMAS
    from pyctl.scan.sqlwrites import SQLSyntaxError, sql_writes

    rows = conn.execute(
        """SELECT n.nspname || '.' || p.proname, p.prosecdef, p.prosrc, pg_get_functiondef(p.oid)
             FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = ANY(%s) AND p.prokind = 'f' AND p.prorettype <> 'pg_catalog.trigger'::regtype
              AND p.prorettype <> 'pg_catalog.event_trigger'::regtype""", (list(PROJECT_SCHEMAS),)).fetchall()
    writes: dict[str, set[str]] = {}
    for name, _definer, _src, definition in rows:
        try:
            writes.setdefault(name, set()).update(w.qualified for w in sql_writes(definition) if w.operations)
        except SQLSyntaxError:
            continue
    private = {name: tables for name, tables in writes.items() if name.split(".", 1)[1].startswith("_") and tables}
    reach: dict[str, set[str]] = {}
    for name, definer, src, _definition in rows:
        if not definer or name.split(".", 1)[1].startswith("_"):
            continue
        tables = set(writes.get(name, ()))
        for helper, helper_tables in private.items():
            if helper in src:
                tables |= helper_tables
        if tables:
            reach[name] = tables
    out: dict[str, list[str]] = {}
    # the most specific writers first: a cascade that deletes everywhere comes last
    for name in sorted(reach, key=lambda n: (len(reach[n]), n)):
        for t in reach[name]:
            out.setdefault(t, []).append(name)
    return out


def read_database(conn, source: str) -> RuleSet:
    """The rules as the database at `conn` holds them."""
    tools = [Tool(*r) for r in conn.execute(
        """SELECT tool_id, tool_name, vendor, allowed_hubs, allowed_interactions, is_banned
             FROM shq.tool_registry ORDER BY tool_id""").fetchall()]
    identifiers = [VendorIdentifier(*r) for r in conn.execute(
        "SELECT kind, identifier, vendor FROM shq.tool_vendor_identifiers ORDER BY kind, identifier").fetchall()]
    done_checkers = [r[0] for r in conn.execute(
        """SELECT DISTINCT n.nspname || '.' || p.proname FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'shq' AND p.proname LIKE 'fn\\_check\\_%\\_done' ORDER BY 1""").fetchall()]
    hubs = [Hub(*r) for r in conn.execute(
        """SELECT h.hub_id, h.hub_name, h.is_required, c.checker,
                  c.checker IS NOT NULL AND c.checker = ANY(%s),
                  (SELECT obj_description(p.oid, 'pg_proc') FROM pg_proc p
                     JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname || '.' || p.proname = c.checker
                    ORDER BY p.pronargs LIMIT 1)
             FROM outreach.hub_registry h
             LEFT JOIN shq.hub_done_checkers c ON c.hub_id = h.hub_id
            ORDER BY h.display_order""", (done_checkers,)).fetchall()]
    guarded = guarded_tables(conn)
    writers = sanctioned_writers(conn)
    for g in guarded:
        g.writers = writers.get(g.table, [])
    return RuleSet(guarded_tables=guarded, tools=tools, vendor_identifiers=identifiers,
                   hubs=hubs, done_checkers=done_checkers, source=source,
                   exported_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def from_dsn(dsn: str) -> RuleSet:
    """Connect, read the rules, disconnect."""
    from pyctl.dsn import connect, redact

    with connect(dsn, autocommit=True) as conn:
        return read_database(conn, f"database {redact(dsn)}")
