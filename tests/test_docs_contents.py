"""What the documentation must hold, and what nothing in the repository may
hold: the README indexes every top-level command; the SQL reference names
every public table, view and function; every relative link resolves; and no
file points to documents a clone does not have (a contract or seed file
outside the repository, an issue tracker's numbers)."""
from __future__ import annotations

import re

import psycopg
import pytest

from helpers import REPO_ROOT
from pyctl.cli import cli
from pyctl.policy import PROJECT_SCHEMAS

README = REPO_ROOT / "README.md"
REFERENCE = REPO_ROOT / "docs" / "reference"
DOCS = [README, *sorted((REPO_ROOT / "docs").rglob("*.md"))]
#: directories that are not the project's own text
SKIP_DIRS = {".git", ".venv", ".pyctl", "build", "dist", "__pycache__", ".pytest_cache", ".hypothesis", "artifacts"}
TEXT_SUFFIXES = {".md", ".py", ".sql", ".txt", ".toml", ".yml", ".yaml", ".cfg", ".ini", ".sh", ""}


def section(text: str, heading: str) -> str:
    """The body of a `## heading` section."""
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"no section '## {heading}'"
    return m.group(1)


def test_the_readme_indexes_every_top_level_command():
    index = section(README.read_text(), "The command line")
    missing = [name for name in cli.commands if f"`pyctl {name}" not in index]
    assert not missing, f"add these commands to the README's command index: {missing}"


def test_the_readme_is_a_front_door():
    lines = README.read_text().splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines: move reference material into docs/"


def test_the_reference_names_every_public_object(dsn):
    """Every table, view and function of the project's schemas whose name
    does not start with `_` (trigger functions aside) is in docs/reference/."""
    text = "\n".join(p.read_text() for p in REFERENCE.glob("*.md"))
    with psycopg.connect(dsn) as c:
        objects = [r[0] for r in c.execute(
            """SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'v', 'm') AND c.relname !~ '^_'
                  AND (n.nspname = ANY(%(s)s) AND n.nspname <> 'public'
                       OR (n.nspname = 'public' AND c.relname LIKE 'shq\\_%%'))
               UNION
               SELECT n.nspname || '.' || p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = ANY(%(s)s) AND p.proname !~ '^_'
                  AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype)
               ORDER BY 1""", {"s": list(PROJECT_SCHEMAS)}).fetchall()]
    assert len(objects) > 100
    missing = [o for o in objects if not re.search(rf"`{re.escape(o)}\b", text)]
    assert not missing, f"document these in docs/reference/: {missing}"


LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


@pytest.mark.parametrize("page", DOCS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves(page):
    broken = [target for target, _anchor in LINK.findall(page.read_text())
              if "://" not in target and not target.startswith("mailto:") and not (page.parent / target).exists()]
    assert not broken, broken


# what a clone does not have: the contract and seed files kept beside the
# repository, and the numbers of an issue tracker (spelled in pieces, so that
# this file does not match itself)
OUTSIDE = [
    (re.compile(r"\.\./" + "shared"), "a path outside the repository"),
    (re.compile(r"\bSPEC" + r"(\.md|\s*§)"), "the contract file, which a clone does not have"),
    (re.compile(r"\bseeds?" + r"/|\bseed 00\d"), "a seed document, which a clone does not have"),
    (re.compile(r"\b[Ii]ssue" + r"s? #?\d+"), "an issue number"),
]


def project_text_files():
    for path in sorted(REPO_ROOT.rglob("*")):
        rel = path.relative_to(REPO_ROOT)
        if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in rel.parts):
            continue
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name in ("Makefile",)):
            yield path


def test_nothing_points_outside_the_repository():
    found = []
    for path in project_text_files():
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(text.splitlines(), 1):
            for rx, what in OUTSIDE:
                if rx.search(line):
                    found.append(f"{path.relative_to(REPO_ROOT)}:{n}: {what}: {line.strip()[:100]}")
    assert not found, f"{len(found)} line(s):\n" + "\n".join(found[:60])
