"""What a Python file says that the scan checks, read through `ast`:

  - SQL passed to execute / executemany / copy / exec_driver_sql: string
    literals, f-strings, `+` concatenations, str.format, psycopg.sql
    compositions (SQL, Identifier, Literal, Placeholder, Composed, .format,
    .join) and SQLAlchemy text(), following names bound to such values in the
    same function or module. What cannot be read becomes a neutral hole, so
    the table stays readable wherever the code spells it out;
  - imports (absolute ones);
  - API hosts in string literals (URLs, or a bare host name), docstrings aside;
  - tool-canon guard calls with a literal tool id (`enforce_tool_canon("TOOL-008",
    "company-target", InteractionType.ENRICH)`, `guard.validate(...)`).

Comments and docstrings are never code: an INSERT mentioned there is nothing.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from bisect import bisect_left
from dataclasses import dataclass, field

from pyctl.scan.sqlwrites import HOLE

EXECUTE_METHODS = frozenset({"execute", "executemany", "copy", "exec_driver_sql"})
SQL_KEYWORD_ARGS = ("query", "statement", "sql")
GUARD_FUNCTIONS = frozenset({"enforce_tool_canon", "validate", "check", "enforce"})
TOOL_ID = re.compile(r"TOOL-[0-9]{3}\Z")
_URL_HOST = re.compile(r"\b(?:https?|wss?)://([A-Za-z0-9.-]+)")
_BARE_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+\.[a-z]{2,}\Z")
_FORMAT_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_0-9]*)(?:![rsa])?(?::[^{}]*)?\}")
_MAX_DEPTH = 6


@dataclass
class Span:
    """Where a finding is, and the lines of its Python statement (for suppressions)."""
    line: int
    col: int
    first_line: int
    last_line: int


@dataclass
class SQLText:
    text: str
    line: int                 # line of the expression's start
    col: int                  # 1-based column of the expression's start
    first_line: int
    last_line: int

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of a character offset in `text`."""
        before = self.text.count("\n", 0, offset)
        if before == 0:
            return self.line, self.col
        return self.line + before, offset - self.text.rfind("\n", 0, offset)


@dataclass
class PythonFacts:
    sql: list[SQLText] = field(default_factory=list)
    imports: list[tuple[str, Span]] = field(default_factory=list)
    hosts: list[tuple[str, Span]] = field(default_factory=list)
    #: (tool_id, hub_id or None, interaction or None, span)
    guard_calls: list[tuple[str, str | None, str | None, Span]] = field(default_factory=list)


def comments(source: str) -> list[tuple[int, str]]:
    """(line, text) of every comment (only tokenized when a `pyctl:` is in the file)."""
    if "pyctl:" not in source:
        return []
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out.append((tok.start[0], tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def analyse(source: str, filename: str = "<string>", interesting: re.Pattern | None = None) -> PythonFacts:
    """The facts of one Python file. With `interesting`, a pattern that
    matches everything the caller looks for (execute, TOOL-, vendor hosts and
    module names), only the statements on lines where it matches are
    visited: the same facts, found faster. Raises SyntaxError."""
    tree = ast.parse(source, filename=filename)
    visitor = _Visitor(tree)
    if interesting is None:
        visitor.run()
    else:
        lines, line, pos = [], 1, 0
        for m in interesting.finditer(source):
            line += source.count("\n", pos, m.start())
            pos = m.start()
            if not lines or lines[-1] != line:
                lines.append(line)
        visitor.run(lines)
    return visitor.facts


def interesting_pattern(hosts, modules) -> re.Pattern:
    """What `analyse` must not miss: the calls it reads, tool ids, the given
    API hosts and module names."""
    words = sorted({*EXECUTE_METHODS, *GUARD_FUNCTIONS, "TOOL-", *hosts, *(m.split(".")[0] for m in modules)})
    return re.compile("|".join(re.escape(w) for w in words))


def _stmt_lines(stmt: ast.stmt) -> tuple[int, int]:
    body = getattr(stmt, "body", None)
    if isinstance(body, list) and body and isinstance(body[0], ast.stmt):   # compound: its header
        return stmt.lineno, max(stmt.lineno, body[0].lineno - 1)
    return stmt.lineno, stmt.end_lineno or stmt.lineno


def _call_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


class _Scope:
    """The names a function (or the module) binds by plain assignment, by line."""

    def __init__(self, nodes: list[ast.stmt]):
        self.assigns: dict[str, list[tuple[int, ast.expr]]] = {}
        stack = list(nodes)
        while stack:
            n = stack.pop()
            t = type(n)
            if t is ast.Assign:
                for target in n.targets:
                    if type(target) is ast.Name:
                        self.assigns.setdefault(target.id, []).append((n.lineno, n.value))
            elif t is ast.AnnAssign:
                if n.value is not None and type(n.target) is ast.Name:
                    self.assigns.setdefault(n.target.id, []).append((n.lineno, n.value))
            elif t not in _NEW_SCOPES:
                for name in _STMT_LISTS:         # bodies of if/for/while/with/try/match
                    body = getattr(n, name, None)
                    if body:
                        stack.extend(body)
                for handler in getattr(n, "handlers", None) or ():
                    stack.extend(handler.body)
                for case in getattr(n, "cases", None) or ():
                    stack.extend(case.body)
        for values in self.assigns.values():
            values.sort(key=lambda v: v[0])

    def lookup(self, name: str, line: int) -> ast.expr | None:
        values = self.assigns.get(name)
        if not values:
            return None
        before = [v for ln, v in values if ln <= line]
        return before[-1] if before else values[0][1]


class _Visitor:
    """One iterative pass over the tree; scopes are built only when a name
    has to be resolved (most files never need one)."""

    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.facts = PythonFacts()
        self.docstrings: set[int] = set()
        self._scopes: dict[int, _Scope] = {}

    def scope(self, owner: ast.AST) -> _Scope:
        s = self._scopes.get(id(owner))
        if s is None:
            s = self._scopes[id(owner)] = _Scope(owner.body)
        return s

    def run(self, lines: list[int] | None = None) -> None:
        """Visit the tree; with `lines` (sorted), only the statements that
        span one of those lines (the rest cannot hold anything of interest)."""
        facts, docstrings = self.facts, self.docstrings

        def wanted(st: ast.stmt) -> bool:
            if lines is None:
                return True
            first = st.lineno
            for d in getattr(st, "decorator_list", ()):
                first = min(first, d.lineno)
            i = bisect_left(lines, first)
            return i < len(lines) and lines[i] <= (st.end_lineno or st.lineno)

        stack: list[tuple[ast.AST, tuple, ast.AST]] = [(self.tree, (self.tree,), self.tree)]
        pop, push = stack.pop, stack.append
        while stack:
            node, owners, stmt = pop()
            t = type(node)
            if t is ast.Call:
                self._call(node, owners, stmt)
            elif t is ast.Constant:
                if type(node.value) is str and id(node) not in docstrings:
                    self._hosts(node, stmt)
                continue
            elif t in _DOC_OWNERS:
                body = node.body
                if body and type(body[0]) is ast.Expr and type(body[0].value) is ast.Constant:
                    docstrings.add(id(body[0].value))
                if t is not ast.Module and t is not ast.ClassDef:
                    owners = owners + (node,)
            elif t is ast.Import:
                for alias in node.names:
                    facts.imports.append((alias.name, self._span(node, node)))
                continue
            elif t is ast.ImportFrom:
                if node.level == 0 and node.module:
                    facts.imports.append((node.module, self._span(node, node)))
                continue
            elif t is ast.Name or t in _LEAVES:
                continue
            for name in node._fields:
                value = getattr(node, name, None)
                if type(value) is list:
                    for item in reversed(value):
                        ti = type(item)
                        if ti in _STMTS:
                            if wanted(item):
                                push((item, owners, item))
                        elif ti in _NODES:
                            push((item, owners, stmt))
                else:
                    ti = type(value)
                    if ti in _STMTS:
                        if wanted(value):
                            push((value, owners, value))
                    elif ti in _NODES and ti not in _LEAVES:
                        push((value, owners, stmt))

    @staticmethod
    def _span(node: ast.AST, stmt: ast.AST) -> Span:
        first, last = _stmt_lines(stmt) if isinstance(stmt, ast.stmt) else (node.lineno, node.lineno)
        return Span(node.lineno, node.col_offset + 1, first, last)

    def _hosts(self, node: ast.Constant, stmt: ast.AST) -> None:
        text = node.value
        if "." not in text or len(text) > 20000:
            return
        found = [m.group(1).lower().rstrip(".") for m in _URL_HOST.finditer(text)]
        if not found:
            bare = text.strip().lower()
            if _BARE_HOST.match(bare):
                found = [bare]
        for host in found:
            self.facts.hosts.append((host, self._span(node, stmt)))

    def _call(self, node: ast.Call, owners: tuple, stmt: ast.AST) -> None:
        name = _call_name(node.func)
        if name in EXECUTE_METHODS and isinstance(node.func, ast.Attribute):
            arg = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg in SQL_KEYWORD_ARGS), None)
            if arg is not None:
                text = self._text(arg, owners, 0)
                if text is not None and text.strip() and text != HOLE:
                    span = self._span(arg, stmt)
                    self.facts.sql.append(SQLText(text, span.line, span.col, span.first_line, span.last_line))
        elif name in GUARD_FUNCTIONS:
            self._guard_call(node, stmt)

    def _guard_call(self, node: ast.Call, stmt: ast.AST) -> None:
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        args = list(node.args) + [None] * 3
        tool = _const_str(args[0] if args[0] is not None else kw.get("tool_id"))
        if tool is None or not TOOL_ID.match(tool):
            return
        hub = _const_str(args[1] if args[1] is not None else kw.get("hub_id"))
        inter_node = args[2] if args[2] is not None else kw.get("interaction_type")
        interaction = _const_str(inter_node)
        if interaction is None and isinstance(inter_node, ast.Attribute):
            interaction = inter_node.attr
        self.facts.guard_calls.append((tool, hub, interaction.upper() if interaction else None,
                                       self._span(node, stmt)))

    # ---- SQL text of an expression (None: not SQL-like at all)
    def _text(self, node: ast.expr | None, scopes: tuple, depth: int) -> str | None:
        if node is None or depth > _MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.Constant):
                    parts.append(str(v.value))
                else:
                    parts.append(self._text_or_hole(v.value, scopes, depth + 1))
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self._text(node.left, scopes, depth + 1), self._text(node.right, scopes, depth + 1)
            if left is None and right is None:
                return None
            return (left if left is not None else HOLE) + (right if right is not None else HOLE)
        if isinstance(node, ast.Name):
            for owner in reversed(scopes):
                value = self.scope(owner).lookup(node.id, node.lineno)
                if value is not None:
                    return self._text(value, scopes, depth + 1)
            return None
        if isinstance(node, ast.Call):
            return self._call_text(node, scopes, depth)
        return None

    def _text_or_hole(self, node: ast.expr, scopes: tuple, depth: int) -> str:
        text = self._text(node, scopes, depth)
        return HOLE if text is None else text

    def _call_text(self, node: ast.Call, scopes: tuple, depth: int) -> str | None:
        name = _call_name(node.func)
        args = node.args
        if name in ("SQL", "text") and args:
            return self._text(args[0], scopes, depth + 1)
        if name == "Identifier":
            names = [_const_str(a) for a in args]
            if args and all(n is not None for n in names):
                return ".".join('"' + n.replace('"', '""') + '"' for n in names)
            return HOLE
        if name in ("Literal", "Placeholder"):
            return "$1"
        if name == "Composed" and args and isinstance(args[0], (ast.List, ast.Tuple)):
            return "".join(self._text_or_hole(e, scopes, depth + 1) for e in args[0].elts)
        if isinstance(node.func, ast.Attribute) and name == "format":
            template = self._text(node.func.value, scopes, depth + 1)
            if template is None:
                return None
            return self._format(template, node, scopes, depth)
        if isinstance(node.func, ast.Attribute) and name == "join" and args:
            sep = self._text(node.func.value, scopes, depth + 1)
            if sep is None:
                return None
            seq = args[0]
            if isinstance(seq, (ast.List, ast.Tuple)):
                return sep.join(self._text_or_hole(e, scopes, depth + 1) for e in seq.elts)
            return HOLE
        return None

    def _format(self, template: str, node: ast.Call, scopes: tuple, depth: int) -> str:
        positional = list(node.args)
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        counter = iter(range(len(positional) + 1000))

        def field_text(m: re.Match) -> str:
            whole = m.group(0)
            if whole == "{{":
                return "{"
            if whole == "}}":
                return "}"
            key = m.group(1)
            if key == "":
                idx = next(counter)
                value = positional[idx] if idx < len(positional) else None
            elif key.isdigit():
                value = positional[int(key)] if int(key) < len(positional) else None
            else:
                value = keywords.get(key)
            return HOLE if value is None else self._text_or_hole(value, scopes, depth + 1)

        return _FORMAT_FIELD.sub(field_text, template)


def _subclasses(cls: type) -> frozenset:
    out, todo = set(), [cls]
    while todo:
        c = todo.pop()
        out.add(c)
        todo.extend(c.__subclasses__())
    return frozenset(out)


_STMTS = _subclasses(ast.stmt)
_NODES = _subclasses(ast.AST)
_NEW_SCOPES = frozenset({ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef})
_STMT_LISTS = ("body", "orelse", "finalbody")
_DOC_OWNERS = frozenset({ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef})
#: nodes with nothing below them worth a look
_LEAVES = frozenset({ast.Load, ast.Store, ast.Del, ast.Pass, ast.Break, ast.Continue, ast.Global, ast.Nonlocal})


def _const_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None
