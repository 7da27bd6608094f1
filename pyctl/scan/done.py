"""DONE_STATE_DEFINITIONS.md: the DONE contract a hub code base declares, and
how it must agree with the database.

The document holds a Markdown table with a `Hub` column (a hub_id of
outreach.hub_registry, or its hub_name) and a `Checker` column (the
shq.fn_check_*_done function, arguments optional, backticks allowed);
optional columns: `Required` (yes/no, compared with hub_registry.is_required)
and any others (e.g. `DONE criteria`, for people):

    | Hub | Checker | Required | DONE criteria |
    |-----|---------|----------|---------------|
    | company-target | `shq.fn_check_company_target_done(outreach_id)` | yes | execution_status = 'ready', ... |

The first table with both columns is the contract; anything else in the
document is prose.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pyctl.scan.config import hub_key

_YES = {"yes", "y", "true", "required", "x", "✓", "✅"}
_NO = {"no", "n", "false", "optional", "-", ""}


@dataclass
class DoneRow:
    line: int
    hub: str
    checker: str
    required: bool | None


@dataclass
class DoneDocument:
    header_line: int | None         # line of the table's header row (None: no contract table)
    rows: list[DoneRow]


def _cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", s)]


def _plain(cell: str) -> str:
    return cell.replace("`", "").replace("*", "").strip()


def checker_name(cell: str) -> str:
    """`shq.fn_check_dol_done(outreach_id)` -> shq.fn_check_dol_done (schema shq when omitted)."""
    name = _plain(cell).split("(", 1)[0].strip().lower()
    return name if "." in name or not name else f"shq.{name}"


def parse(text: str) -> DoneDocument:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "|" not in line or i + 1 >= len(lines):
            continue
        header = [_plain(c).lower() for c in _cells(line)]
        if not re.fullmatch(r"\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*", lines[i + 1]):
            continue
        hub_col = next((k for k, h in enumerate(header) if h == "hub" or h == "hub_id" or h == "hub id"), None)
        checker_col = next((k for k, h in enumerate(header) if h in ("checker", "function", "done checker")), None)
        if hub_col is None or checker_col is None:
            continue
        required_col = next((k for k, h in enumerate(header) if h in ("required", "is_required")), None)
        rows = []
        for j in range(i + 2, len(lines)):
            if "|" not in lines[j] or not lines[j].strip():
                break
            cells = _cells(lines[j])
            if len(cells) <= max(hub_col, checker_col):
                continue
            required = None
            if required_col is not None and required_col < len(cells):
                value = _plain(cells[required_col]).lower()
                required = True if value in _YES else False if value in _NO else None
            rows.append(DoneRow(j + 1, _plain(cells[hub_col]), checker_name(cells[checker_col]), required))
        return DoneDocument(i + 1, rows)
    return DoneDocument(None, [])


def hub_keys(hubs) -> dict[str, str]:
    """Normalised hub_id and hub_name -> hub_id."""
    keys = {}
    for h in hubs:
        keys[hub_key(h.hub_name)] = h.hub_id
    for h in hubs:
        keys[hub_key(h.hub_id)] = h.hub_id
    return keys
