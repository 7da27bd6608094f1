"""How pyctl prints data, in one place: aligned text tables that fit a
100-column terminal, or JSON (`--format json`, which every command that
prints data takes).

    table_lines(rows, columns)     rows (dicts or sequences) as text lines, at most WIDTH wide:
                                   when the natural table is wider, the widest columns are
                                   narrowed and their cells wrapped onto continuation lines;
                                   when even that would cut a value that has no separator (a
                                   digest, an id), one block of "column  value" lines per row
    format_option()                the --format text|json option (plus a hidden --json alias
                                   where a command had that flag)
    echo_json(data)                the data as indented JSON (datetimes ISO 8601, UUIDs and
                                   decimals as text or numbers)
    echo_data(fmt, data, lines)    one of the two

Standard library only at import time (click is imported by the functions
that print), so that any module may render a table.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import uuid
from typing import Any, Callable, Iterable, Sequence

#: the widest line a text table may print
WIDTH = 100
#: no column is narrowed below this (its cells wrap instead)
MIN_COLUMN = 6
FORMATS = ("text", "json")
#: where a cell may be wrapped: after a space, an underscore, a hyphen, a slash or a comma
_CHUNKS = re.compile(r"[^\s_\-/,]*[\s_\-/,]?")


def cell(v: Any) -> str:
    """A value as table text: '-' for NULL, yes/no, timestamps to the minute."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, dt.datetime):  # to the minute, Z for UTC (JSON keeps the full value)
        offset = v.utcoffset()
        zone = "" if offset is None else "Z" if not offset else v.strftime("%z")
        return v.strftime("%Y-%m-%d %H:%M") + zone
    return str(v)


def _is_number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float, decimal.Decimal)):
        return True
    return isinstance(v, str) and bool(re.fullmatch(r"-?[\d,]+(\.\d+)?( %)?", v.strip()))


def _wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width`, broken after separators where possible."""
    if len(text) <= width:
        return [text]
    lines, cur = [], ""
    for chunk in (c for c in _CHUNKS.findall(text) if c):
        while len(chunk) > width:  # a word longer than the column: hard break
            if cur:
                lines.append(cur.rstrip())
                cur = ""
            lines.append(chunk[:width])
            chunk = chunk[width:]
        if len(cur) + len(chunk.rstrip()) > width:
            lines.append(cur.rstrip())
            cur = ""
        cur += chunk
    if cur.strip() or not lines:
        lines.append(cur.rstrip())
    return lines


def _longest_piece(texts: Iterable[str]) -> int:
    """The longest run of a column's text that wrapping cannot break."""
    return max((len(c.rstrip()) for t in texts for c in _CHUNKS.findall(t)), default=0)


def _is_prose(texts: Iterable[str]) -> bool:
    """Does a column hold words (which wrap well) rather than ids, codes or
    times: at least half of its cells have a space and a word?"""
    cells = [t for t in texts if t.strip() and t != "-"]
    words = sum(1 for t in cells if " " in t.strip() and re.search(r"[A-Za-z]{3}", t))
    return bool(cells) and 2 * words >= len(cells)


#: a column of words is narrowed first, but not below this
MIN_PROSE = 20


def _fit(widths: list[int], floors: list[int], prose: list[bool], width: int, gap: int) -> list[int]:
    """Narrow columns, one character at a time, until the row fits: first the
    widest column of words (down to MIN_PROSE), then those only their header
    makes wide (down to their widest cell: the header wraps, the rows do not),
    then the widest."""
    widths = list(widths)

    def too_wide() -> bool:
        return sum(widths) + gap * (len(widths) - 1) > width

    def narrow(candidates: list[int], key) -> bool:
        if not candidates:
            return False
        widths[max(candidates, key=key)] -= 1
        return True

    while too_wide() and narrow([k for k in range(len(widths)) if prose[k] and widths[k] > MIN_PROSE],
                                lambda k: widths[k]):
        pass
    while too_wide() and narrow([k for k in range(len(widths)) if widths[k] > max(floors[k], MIN_COLUMN)],
                                lambda k: widths[k] - floors[k]):
        pass
    while too_wide() and narrow([k for k in range(len(widths)) if widths[k] > MIN_COLUMN], lambda k: widths[k]):
        pass
    return widths


def table_lines(rows: Sequence[Any], columns: Iterable[str], *, headers: Sequence[str] | None = None,
                width: int = WIDTH, indent: str = "", right: Iterable[int] | None = None) -> list[str]:
    """`rows` (dicts read by `columns`, or sequences in column order) as an
    aligned table under a header line and a dashed line, at most `width`
    characters wide (indent included). Numeric columns are right-aligned
    (or the column indexes in `right`)."""
    cols = list(columns)
    head = list(headers or cols)
    values = [[r.get(c) for c in cols] if isinstance(r, dict) else list(r) for r in rows]
    cells = [[cell(v) for v in row] for row in values]
    if right is None:
        right_set = {i for i in range(len(cols)) if values and all(_is_number(row[i]) or row[i] is None
                                                                  for row in values)
                     and any(row[i] is not None for row in values)}
    else:
        right_set = set(right)
    natural = [max([len(head[i])] + [len(r[i]) for r in cells]) for i in range(len(cols))]
    # values that wrapping cannot break (digests, ids) must stay whole, to be copied
    pieces = [max(_longest_piece([head[i]]), _longest_piece(r[i] for r in cells)) for i in range(len(cols))]
    if sum(natural) + 2 * (len(cols) - 1) > width - len(indent) and \
            sum(pieces) + 2 * (len(cols) - 1) > width - len(indent):
        return record_lines(cells, head, width=width, indent=indent)
    floors = [max([_longest_piece([head[i]])] + [len(r[i]) for r in cells]) for i in range(len(cols))]
    prose = [_is_prose(r[i] for r in cells) for i in range(len(cols))]
    widths = _fit(natural, floors, prose, width - len(indent), 2)

    def render(row: list[str]) -> list[str]:
        wrapped = [_wrap(c, w) for c, w in zip(row, widths)]
        out = []
        for k in range(max(len(w) for w in wrapped)):
            parts = [(w[k] if k < len(w) else "") for w in wrapped]
            out.append(indent + "  ".join(p.rjust(w) if i in right_set else p.ljust(w)
                                          for i, (p, w) in enumerate(zip(parts, widths))).rstrip())
        return out

    lines = render(head) + [indent + "  ".join("-" * w for w in widths)]
    for row in cells:
        lines += render(row)
    return lines


def record_lines(cells: Sequence[Sequence[str]], head: Sequence[str], *, width: int = WIDTH,
                 indent: str = "") -> list[str]:
    """Rows as blocks of "column  value" lines, a blank line between blocks:
    for a table whose unbreakable values do not fit side by side."""
    label = max(len(h) for h in head)
    room = max(width - len(indent) - label - 2, MIN_COLUMN)
    lines: list[str] = []
    for n, row in enumerate(cells):
        if n:
            lines.append("")
        for h, c in zip(head, row):
            for k, part in enumerate(_wrap(c, max(room, _longest_piece([c])))):
                lines.append((indent + (h if k == 0 else "").ljust(label) + "  " + part).rstrip())
    return lines


# ------------------------------------------------------------------ JSON
def _default(v: Any) -> Any:
    if isinstance(v, (dt.datetime, dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, (uuid.UUID, bytes)):
        return v.hex() if isinstance(v, bytes) else str(v)
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    return str(v)


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=_default)


def echo_json(data: Any) -> None:
    import click
    click.echo(to_json(data))


def echo_data(fmt: str, data: Any, lines: Callable[[], Iterable[str]] | Iterable[str]) -> None:
    """Print `data` as JSON, or the text `lines` (a callable is only called for text)."""
    import click
    if fmt == "json":
        echo_json(data)
        return
    for line in (lines() if callable(lines) else lines):
        click.echo(line)


def format_option(json_alias: bool = False, choices: Sequence[str] = FORMATS):
    """The --format option (`fmt`). With `json_alias`, the command's older
    `--json` flag still works (hidden) and means --format json."""
    import click

    def decorate(fn):
        fn = click.option("--format", "fmt", type=click.Choice(list(choices)), default=choices[0],
                          show_default=True, help="text for a terminal (tables fit 100 columns), json for tools")(fn)
        if json_alias:
            fn = click.option("--json", "fmt", flag_value="json", hidden=True,
                              help="the same as --format json")(fn)
        return fn
    return decorate
