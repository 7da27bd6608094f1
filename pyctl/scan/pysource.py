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


def analyse(source: str, filename: str = "<string>") -> PythonFacts:
    """The facts of one Python file. Raises SyntaxError."""
    tree = ast.parse(source, filename=filename)
    visitor = _Visitor(tree)
    visitor.run()
    return visitor.facts


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
    def __init__(self, nodes: list[ast.stmt]):
        self.assigns: dict[str, list[tuple[int, ast.expr]]] = {}
        stack = list(nodes)
        while stack:
            n = stack.pop()
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    if isinstance(t, ast.Name):
                        self.assigns.setdefault(t.id, []).append((n.lineno, n.value))
            elif isinstance(n, ast.AnnAssign) and n.value is not None and isinstance(n.target, ast.Name):
                self.assigns.setdefault(n.target.id, []).append((n.lineno, n.value))
            stack.extend(ast.iter_child_nodes(n))
        for values in self.assigns.values():
            values.sort(key=lambda v: v[0])

    def lookup(self, name: str, line: int) -> ast.expr | None:
        values = self.assigns.get(name)
        if not values:
            return None
        before = [v for ln, v in values if ln <= line]
        return before[-1] if before else values[0][1]


class _Visitor:
    def __init__(self, tree: ast.Module):
        self.tree = tree
        self.facts = PythonFacts()
        self.module_scope = _Scope(tree.body)
        self.docstrings: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body
                if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                        and isinstance(body[0].value.value, str):
                    self.docstrings.add(id(body[0].value))

    def run(self) -> None:
        self._visit(self.tree, [self.module_scope], (1, 1))

    def _visit(self, node: ast.AST, scopes: list[_Scope], lines: tuple[int, int]) -> None:
        if isinstance(node, ast.stmt):
            lines = _stmt_lines(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scopes = scopes + [_Scope(node.body)]
        if isinstance(node, ast.Import):
            for alias in node.names:
                self.facts.imports.append((alias.name, self._span(node, lines)))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                self.facts.imports.append((node.module, self._span(node, lines)))
        elif isinstance(node, ast.Call):
            self._call(node, scopes, lines)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in self.docstrings:
            self._hosts(node, lines)
        for child in ast.iter_child_nodes(node):
            self._visit(child, scopes, lines)

    @staticmethod
    def _span(node: ast.AST, lines: tuple[int, int]) -> Span:
        return Span(node.lineno, node.col_offset + 1, lines[0], lines[1])

    def _hosts(self, node: ast.Constant, lines: tuple[int, int]) -> None:
        text = node.value
        if "." not in text or len(text) > 20000:
            return
        found = [m.group(1).lower().rstrip(".") for m in _URL_HOST.finditer(text)]
        if not found:
            bare = text.strip().lower()
            if _BARE_HOST.match(bare):
                found = [bare]
        for host in found:
            self.facts.hosts.append((host, self._span(node, lines)))

    def _call(self, node: ast.Call, scopes: list[_Scope], lines: tuple[int, int]) -> None:
        name = _call_name(node.func)
        if name in EXECUTE_METHODS and isinstance(node.func, ast.Attribute):
            arg = node.args[0] if node.args else next(
                (k.value for k in node.keywords if k.arg in SQL_KEYWORD_ARGS), None)
            if arg is not None:
                text = self._text(arg, scopes, 0)
                if text is not None and text.strip() and text != HOLE:
                    self.facts.sql.append(SQLText(text, arg.lineno, arg.col_offset + 1, lines[0], lines[1]))
        elif name in GUARD_FUNCTIONS:
            self._guard_call(node, lines)

    def _guard_call(self, node: ast.Call, lines: tuple[int, int]) -> None:
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
                                       self._span(node, lines)))

    # ---- SQL text of an expression (None: not SQL-like at all)
    def _text(self, node: ast.expr | None, scopes: list[_Scope], depth: int) -> str | None:
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
            for scope in reversed(scopes):
                value = scope.lookup(node.id, node.lineno)
                if value is not None:
                    return self._text(value, scopes, depth + 1)
            return None
        if isinstance(node, ast.Call):
            return self._call_text(node, scopes, depth)
        return None

    def _text_or_hole(self, node: ast.expr, scopes: list[_Scope], depth: int) -> str:
        text = self._text(node, scopes, depth)
        return HOLE if text is None else text

    def _call_text(self, node: ast.Call, scopes: list[_Scope], depth: int) -> str | None:
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

    def _format(self, template: str, node: ast.Call, scopes: list[_Scope], depth: int) -> str:
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


def _const_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None
