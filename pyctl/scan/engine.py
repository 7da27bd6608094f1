"""The scan itself: walk the paths, check each file against the rules, apply
the suppression comments, and check the DONE-state contract once.

    result = scan([Path("hubs"), Path("src")], rules, config, root=Path("."))
    result.findings, result.suppressed, result.files_scanned

Files are scanned in parallel processes (`jobs`, default: up to 2) once
there are enough of them to pay for the processes; parsed SQL is cached by
its text, so SQL repeated across files is parsed once per process.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pyctl.scan import deps, done, pysource, rules as R
from pyctl.scan.config import ALWAYS_EXCLUDED_DIRS, ScanConfig, hub_key
from pyctl.scan.ruleset import GuardedTable, RuleSet
from pyctl.scan.sqlwrites import HOLE_NAMES, SQLSyntaxError, Write, sql_writes

#: below this many files one process is faster than starting more
PARALLEL_MIN_FILES = 200
_WRITE_WORDS = re.compile(r"\b(insert|update|delete|truncate|merge|copy|alter|drop|do|create)\b", re.I)
#: psql meta-commands (\\set, \\ir on a line of their own; \\gset, \\g ... after a query)
_PSQL_LINE = re.compile(r"^[ \t]*\\.*$", re.M)
_PSQL_SEND = re.compile(r"\\(?:g|gset|gx|gexec|gdesc|crosstabview|watch)\b[^\n]*")
#: psql variables quoted as a literal or an identifier (:'name', :"name"); plain :name is a placeholder
_PSQL_QUOTED_VAR = re.compile(r"(?<!:):(?=['\"][A-Za-z_])")
_SUPPRESSION = re.compile(r"pyctl:\s*allow\b(?P<rest>.*)$")


@dataclass
class Finding:
    rule: str                   # code, e.g. OGS101
    file: str                   # path relative to the root, / separated
    line: int
    column: int
    message: str
    hint: str
    first_line: int = 0         # the lines of the statement a suppression may sit on
    last_line: int = 0
    suppressed: str | None = None    # the reason, when a suppression comment covers it

    @property
    def name(self) -> str:
        return R.BY_CODE[self.rule].name

    @property
    def severity(self) -> str:
        return R.BY_CODE[self.rule].severity

    @property
    def check(self) -> str:
        return R.BY_CODE[self.rule].check

    def as_dict(self) -> dict:
        d = {"rule": self.rule, "name": self.name, "severity": self.severity, "check": self.check,
             "file": self.file, "line": self.line, "column": self.column, "message": self.message,
             "hint": self.hint}
        if self.suppressed is not None:
            d["suppression_reason"] = self.suppressed
        return d


@dataclass
class ScanResult:
    findings: list[Finding] = field(default_factory=list)     # not suppressed
    suppressed: list[Finding] = field(default_factory=list)
    files_scanned: int = 0

    def failing(self, fail_on: str | None) -> list[Finding]:
        if fail_on is None:
            return []
        return [f for f in self.findings if R.at_or_above(f.severity, fail_on)]


# ------------------------------------------------------------------ context
class Context:
    """What checking one file needs, built once (and shipped to worker processes)."""

    def __init__(self, rules: RuleSet, config: ScanConfig):
        self.rules = rules
        self.config = config
        self.guarded_names = sorted({g.table.split(".", 1)[1].lower() for g in rules.guarded_tables})
        self.imports = rules.identifiers("import_name")
        self.hosts = rules.identifiers("api_host")
        self.packages = rules.identifiers("pypi_package")
        self.hub_keys = done.hub_keys(rules.hubs)
        self.interesting = pysource.interesting_pattern(self.hosts, self.imports)

    def hub_of(self, rel: str) -> str | None:
        return self.config.hub_of(rel, self.hub_keys)


def _vendor_of(name: str, table: dict[str, str], sep: str) -> str | None:
    """The vendor whose identifier is `name` or a parent of it (module.sub, sub.host)."""
    if name in table:
        return table[name]
    if sep == ".":          # import names: a submodule of a listed module
        parts = name.split(".")
        for i in range(len(parts) - 1, 0, -1):
            v = table.get(".".join(parts[:i]))
            if v:
                return v
        return None
    parts = name.split(".")  # hosts: a subdomain of a listed host
    for i in range(1, len(parts) - 1):
        v = table.get(".".join(parts[i:]))
        if v:
            return v
    return None


# ------------------------------------------------------------------ one file
class _FileScan:
    def __init__(self, ctx: Context, rel: str, text: str):
        self.ctx = ctx
        self.rel = rel
        self.text = text
        self.findings: list[Finding] = []
        self.read_only = ctx.config.is_read_only(rel)
        self._sanctioned: dict[str, bool] = {}

    def sanctioned(self, table: str) -> bool:
        s = self._sanctioned.get(table)
        if s is None:
            s = self._sanctioned[table] = self.ctx.config.is_sanctioned(self.rel, table)
        return s

    def add(self, rule: str, line: int, col: int, message: str, hint: str | None = None,
            first: int | None = None, last: int | None = None) -> None:
        self.findings.append(Finding(rule, self.rel, line, max(col, 1), message, hint or R.BY_CODE[rule].hint,
                                     first or line, last or line))

    # ---- writers (rule 1)
    def guarded_for(self, w: Write) -> list[GuardedTable]:
        rules = self.ctx.rules
        if w.schema and w.schema not in HOLE_NAMES:
            g = rules.guarded_by_qualified.get(f"{w.schema}.{w.name}")
            return [g] if g else []
        return rules.guarded_by_name.get(w.name, [])

    def writes(self, writes: tuple[Write, ...], position, first: int | None = None, last: int | None = None,
               statement_lines: bool = False) -> None:
        read_only = self.read_only
        for w in writes:
            line, col = position(w.offset)
            f, l = (position(w.statement_offset)[0], line) if statement_lines else (first, last)
            flagged = False
            for g in self.guarded_for(w):
                if not (w.changes_trigger or any(op in g.operations for op in w.operations)):
                    continue
                if self.sanctioned(g.table):
                    flagged = True      # sanctioned: no read-only finding either
                    continue
                flagged = True
                unqualified = "" if w.schema else f" (unqualified {w.name}, taken as {g.table})"
                if w.changes_trigger:
                    msg = (f"{w.statement} on {g.kind} table {g.table}{unqualified}: takes away the guard "
                           f"the database relies on")
                else:
                    codes = sorted({g.sqlstate if op in g.guard_operations else "42501"
                                    for op in w.operations if op in g.operations})
                    msg = (f"{w.statement} on {g.kind} table {g.table}{unqualified} outside the sanctioned "
                           f"paths; the database refuses it at run time ({', '.join(codes)})")
                self.add("OGS101", line, col, msg, _writer_hint(g), f, l)
            if not flagged and read_only and not w.changes_trigger:
                self.add("OGS102", line, col,
                         f"{w.statement} on {w.qualified} from a read-only path", None, f, l)

    def sql_text(self, sql: pysource.SQLText) -> None:
        text = sql.text
        if not _WRITE_WORDS.search(text):
            return
        lowered = text.lower()
        if not self.read_only and not any(n in lowered for n in self.ctx.guarded_names):
            return
        try:
            writes = sql_writes(text)
        except SQLSyntaxError as e:
            if any(n in lowered for n in self.ctx.guarded_names):
                line, col = sql.position(e.offset or 0)
                self.add("OGS902", line, col, f"SQL passed to execute() does not parse ({e}); not checked",
                         None, sql.first_line, sql.last_line)
            return
        self.writes(writes, sql.position, sql.first_line, sql.last_line)

    # ---- vendors (rules 2 and 3)
    def vendor_use(self, vendor: str, what: str, span: pysource.Span, banned_rule: str) -> None:
        rules = self.ctx.rules
        hub = self.ctx.hub_of(self.rel)
        args = (span.line, span.col)
        if rules.vendor_banned(vendor):
            self.add(banned_rule, *args, f"{what}: vendor {vendor!r} is banned in shq.tool_registry",
                     None, span.first_line, span.last_line)
        elif not rules.vendor_registered(vendor):
            self.add("OGS301", *args, f"{what}: vendor {vendor!r} has no tool in shq.tool_registry",
                     None, span.first_line, span.last_line)
        elif hub is not None and not rules.vendor_allowed_for(vendor, hub):
            allowed = ", ".join(rules.vendor_hubs(vendor)) or "no hub"
            self.add("OGS302", *args, f"{what}: vendor {vendor!r} is not allowed for hub {hub} "
                                      f"(its tools allow: {allowed})", None, span.first_line, span.last_line)

    def guard_call(self, tool_id: str, hub: str | None, interaction: str | None, span: pysource.Span) -> None:
        tool = self.ctx.rules.tools_by_id.get(tool_id)
        loc = (span.line, span.col)
        lines = (span.first_line, span.last_line)
        if tool is None:
            self.add("OGS301", *loc, f"tool-canon guard call names {tool_id}, which shq.tool_registry does not have",
                     None, *lines)
        elif tool.is_banned:
            self.add("OGS203", *loc, f"tool-canon guard call names {tool_id} ({tool.tool_name}), which is banned",
                     None, *lines)
        else:
            if hub is not None and hub not in tool.allowed_hubs:
                self.add("OGS302", *loc, f"{tool_id} ({tool.tool_name}) is not allowed for hub {hub} "
                                         f"(allowed: {', '.join(tool.allowed_hubs) or 'none'})", None, *lines)
            if interaction is not None and interaction not in tool.allowed_interactions:
                self.add("OGS303", *loc, f"{tool_id} ({tool.tool_name}) does not allow {interaction} "
                                         f"(allowed: {', '.join(tool.allowed_interactions) or 'none'})",
                         None, *lines)

    # ---- the file kinds
    def python(self) -> None:
        try:
            facts = pysource.analyse(self.text, self.rel, self.ctx.interesting)
        except SyntaxError as e:
            self.add("OGS902", e.lineno or 1, e.offset or 1, f"Python file does not parse ({e.msg}); not checked")
            return
        for sql in facts.sql:
            self.sql_text(sql)
        for module, span in facts.imports:
            vendor = _vendor_of(module, self.ctx.imports, ".")
            if vendor:
                self.vendor_use(vendor, f"import {module}", span, "OGS202")
        for host, span in facts.hosts:
            vendor = _vendor_of(host, self.ctx.hosts, "host")
            if vendor:
                self.vendor_use(vendor, f"call to {host}", span, "OGS203")
        for tool_id, hub, interaction, span in facts.guard_calls:
            self.guard_call(tool_id, hub or self.ctx.hub_of(self.rel), interaction, span)

    def sql_file(self) -> None:
        try:
            writes = sql_writes(without_psql_commands(self.text))
        except SQLSyntaxError as e:
            line, col = _position(self.text, e.offset or 0)
            self.add("OGS902", line, col, f"SQL file does not parse ({e}); not checked")
            return
        self.writes(writes, lambda off: _position(self.text, off), statement_lines=True)

    def dependency_file(self) -> None:
        try:
            found = deps.dependencies(self.rel, self.text)
        except ValueError as e:
            self.add("OGS902", 1, 1, f"dependency file does not parse ({e}); not checked")
            return
        for name, line in found:
            vendor = self.ctx.packages.get(name)
            if vendor and self.ctx.rules.vendor_banned(vendor):
                self.add("OGS201", line, 1, f"depends on {name}, a package of banned vendor {vendor!r}")

    def run(self) -> list[Finding]:
        if self.rel.endswith(".py"):
            self.python()
        elif self.rel.endswith(".sql"):
            self.sql_file()
        elif deps.is_dependency_file(self.rel):
            self.dependency_file()
        return apply_suppressions(self.findings, self.rel, self.text)


def without_psql_commands(text: str) -> str:
    """The SQL of a psql script: meta-commands blanked (same length, so
    positions hold), one that sends the query buffer ending the statement;
    :'var' and :"var" read as the literal or identifier they become."""
    text = _PSQL_QUOTED_VAR.sub(" ", text)
    if "\\" not in text:
        return text
    text = _PSQL_SEND.sub(lambda m: ";".ljust(len(m.group(0))), text)
    return _PSQL_LINE.sub(lambda m: " " * len(m.group(0)), text)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


def _writer_hint(g: GuardedTable) -> str:
    """The fix: the table's own SQL functions, as the database defines them."""
    shown = ", ".join(f"{w}(...)" for w in g.writers[:3]) + (", ..." if len(g.writers) > 3 else "")
    if g.kind == "append-only":
        via = f": {shown}" if g.writers else ""
        return ("The table is append-only: never change or remove its rows; record a correction as a new row "
                f"through the SQL function that owns the table{via}.")
    if g.kind == "write-once identity":
        return f"CL owns identity: write it only through its SQL functions (SELECT {shown or 'cl.fn_register_company(...)'})."
    if g.writers:
        return f"Call a sanctioned SQL function of {g.table} instead (SELECT {shown}), or move the code to a sanctioned path."
    return f"{g.table} is written only by migrations: change it in a migration (a sanctioned path)."


# ------------------------------------------------------------------ suppressions
def suppression_comments(rel: str, text: str) -> list[tuple[int, str]]:
    """(line, comment text) of the comments that may hold a suppression."""
    if "pyctl:" not in text:
        return []
    if rel.endswith(".py"):
        return pysource.comments(text)
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if "pyctl:" in line]


def parse_suppression(comment: str) -> tuple[list[str], str | None, str | None] | None:
    """(rule codes, reason or None, problem or None) of a `pyctl: allow` comment; None if it is none."""
    m = _SUPPRESSION.search(comment)
    if not m:
        return None
    rest = m.group("rest").strip()
    for end in ("-->", "*/"):
        if rest.endswith(end):
            rest = rest[: -len(end)].rstrip()
    names, _, reason = rest.partition("--")
    codes, unknown = [], []
    for token in re.split(r"[,\s]+", names.strip()):
        if token:
            rule = R.lookup(token)
            (codes.append(rule.code) if rule else unknown.append(token))
    reason = reason.strip() or None
    problem = None
    if unknown:
        problem = f"names unknown rule(s) {', '.join(unknown)}"
    elif not codes:
        problem = "names no rule"
    elif reason is None:
        problem = "has no reason after `--`"
    return codes, reason, problem


def apply_suppressions(findings: list[Finding], rel: str, text: str) -> list[Finding]:
    """Mark the findings a valid suppression covers; add a finding for each bad one."""
    by_line: dict[int, list[tuple[list[str], str]]] = {}
    out = list(findings)
    for line, comment in suppression_comments(rel, text):
        parsed = parse_suppression(comment)
        if parsed is None:
            continue
        codes, reason, problem = parsed
        if problem:
            out.append(Finding("OGS901", rel, line, 1, f"suppression comment {problem}; it suppresses nothing",
                               R.BY_CODE["OGS901"].hint, line, line))
        else:
            by_line.setdefault(line, []).append((codes, reason))
    if by_line:
        for f in out:
            if f.rule == "OGS901":
                continue
            lines = {f.line, *range(f.first_line or f.line, (f.last_line or f.line) + 1)}
            for line in sorted(lines):
                hit = next((reason for codes, reason in by_line.get(line, []) if f.rule in codes), None)
                if hit:
                    f.suppressed = hit
                    break
    return out


# ------------------------------------------------------------------ DONE contract (rule 4)
def done_contract(ctx: Context, root: Path) -> list[Finding]:
    rel = ctx.config.done_definitions
    if rel is None:
        return []
    path = root / rel
    hubs = ctx.rules.hubs
    if not path.is_file():
        missing = ", ".join(h.hub_id for h in hubs)
        return [Finding("OGS401", rel, 1, 1, f"no {rel}: no hub has a DONE definition ({missing})",
                        R.BY_CODE["OGS401"].hint, 1, 1)]
    text = path.read_text(encoding="utf-8", errors="replace")
    doc = done.parse(text)
    out: list[Finding] = []

    def add(rule: str, line: int, msg: str) -> None:
        out.append(Finding(rule, rel, line, 1, msg, R.BY_CODE[rule].hint, line, line))

    if doc.header_line is None:
        add("OGS401", 1, f"{rel} has no table with Hub and Checker columns: no hub has a DONE definition")
        return apply_suppressions(out, rel, text)
    seen: dict[str, int] = {}
    for row in doc.rows:
        hub_id = ctx.hub_keys.get(hub_key(row.hub))
        if hub_id is None:
            add("OGS402", row.line, f"DONE definition for hub {row.hub!r}, which outreach.hub_registry does not have")
            continue
        if hub_id in seen:
            add("OGS402", row.line, f"hub {hub_id} is defined twice (first on line {seen[hub_id]})")
            continue
        seen[hub_id] = row.line
        hub = ctx.rules.hubs_by_id[hub_id]
        if hub.checker is None:
            add("OGS401", row.line, f"hub {hub_id} has no DONE checker in the database (shq.hub_done_checkers)")
        elif not hub.checker_exists:
            add("OGS401", row.line, f"hub {hub_id}: the database's checker {hub.checker} does not exist")
        elif row.checker != hub.checker:
            exists = "" if row.checker in ctx.rules.done_checkers else ", which does not exist"
            add("OGS402", row.line, f"hub {hub_id}: the document names {row.checker or 'no checker'}{exists}; "
                                    f"the database's checker is {hub.checker}")
        if row.required is not None and row.required != hub.is_required:
            add("OGS402", row.line, f"hub {hub_id}: Required says {'yes' if row.required else 'no'}, "
                                    f"outreach.hub_registry.is_required is {'yes' if hub.is_required else 'no'}")
    for hub in hubs:
        if hub.hub_id not in seen:
            add("OGS401", doc.header_line, f"hub {hub.hub_id} has no DONE definition in {rel}")
    return apply_suppressions(out, rel, text)


# ------------------------------------------------------------------ walking
def scannable(rel: str) -> bool:
    return rel.endswith((".py", ".sql")) or deps.is_dependency_file(rel)


def relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def collect_files(paths: list[Path], root: Path, config: ScanConfig) -> list[tuple[Path, str]]:
    """(path, path relative to root) of every file to scan, sorted, each once."""
    seen: dict[str, Path] = {}
    for p in paths:
        if p.is_file():
            rel = relative(p, root)
            if scannable(rel) and not config.is_excluded(rel):    # pre-commit passes files one by one
                seen.setdefault(rel, p)
            continue
        for dirpath, dirnames, filenames in os.walk(p):
            base = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if d not in ALWAYS_EXCLUDED_DIRS
                                 and not config.is_excluded(relative(base / d, root) + "/"))
            for name in filenames:
                rel = relative(base / name, root)
                if scannable(rel) and not config.is_excluded(rel):
                    seen.setdefault(rel, base / name)
    return sorted(((path, rel) for rel, path in seen.items()), key=lambda t: t[1])


_WORKER_CTX: Context | None = None


def _init_worker(ctx: Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _scan_many(batch: list[tuple[str, str]], ctx: Context | None = None) -> list[Finding]:
    ctx = ctx or _WORKER_CTX
    out: list[Finding] = []
    # syntax trees hold no cycles: reference counting frees them, and the
    # cycle collector would only walk every live node again and again
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for path, rel in batch:
            _scan_one(ctx, path, rel, out)
    finally:
        if was_enabled:
            gc.enable()
    return out


def _scan_one(ctx: Context, path: str, rel: str, out: list[Finding]) -> None:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        out.append(Finding("OGS902", rel, 1, 1, f"cannot read the file ({e.strerror or e}); not checked",
                           R.BY_CODE["OGS902"].hint, 1, 1))
        return
    out.extend(_FileScan(ctx, rel, text).run())


def scan(paths: list[Path], rules: RuleSet, config: ScanConfig, root: Path, jobs: int | None = None) -> ScanResult:
    """Scan `paths` (files or directories) against `rules`."""
    root = root.resolve()
    ctx = Context(rules, config)
    files = [(str(p), rel) for p, rel in collect_files(paths, root, config)]
    jobs = max(1, jobs if jobs is not None else min(2, os.cpu_count() or 1))
    if jobs > 1 and len(files) >= PARALLEL_MIN_FILES and "fork" in multiprocessing.get_all_start_methods():
        size = max(20, len(files) // (jobs * 8))
        batches = [files[i:i + size] for i in range(0, len(files), size)]
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_init_worker, initargs=(ctx,)) as pool:
            found = [f for part in pool.map(_scan_many, batches) for f in part]
    else:
        found = _scan_many(files, ctx)
    found.extend(done_contract(ctx, root))
    found.sort(key=lambda f: (f.file, f.line, f.column, f.rule))
    return ScanResult(findings=[f for f in found if f.suppressed is None],
                      suppressed=[f for f in found if f.suppressed is not None],
                      files_scanned=len(files))
