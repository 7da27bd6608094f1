"""docs/consuming-events.md: it lists every event type with its payload keys
(outreach.outbox_event_types is the one list), its complete consumer runs
and does what the page says, and its runnable examples run on a seeded
database (the data builder's seed 42, as `make demo`)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import psycopg
import pytest

from campaign_support import override
from helpers import REPO_ROOT, make_company, output
from pyctl.seed import seed

DOC = REPO_ROOT / "docs" / "consuming-events.md"


def blocks(text: str) -> list[tuple[str, str, list[str]]]:
    """(language, code, the comment lines right before its fence) of every fenced block."""
    out, notes, lang, code = [], [], None, []
    for line in text.splitlines():
        if lang is not None:
            if line.startswith("```"):
                out.append((lang, "\n".join(code) + "\n", notes))
                lang, code, notes = None, [], []
            else:
                code.append(line)
        elif line.startswith("```"):
            lang = line[3:].strip()
        elif line.startswith("<!--"):
            notes.append(line)
        else:
            notes = []
    return out


def test_the_page_lists_every_event_type_with_its_payload_keys(conn):
    text = DOC.read_text()
    for destination, event_type, keys in conn.execute(
            "SELECT destination, event_type, payload_keys FROM outreach.outbox_event_types"):
        rows = [line for line in text.splitlines()
                if line.startswith(f"| `{destination}` | `{event_type}` |")]
        assert len(rows) == 1, (destination, event_type)
        listed = rows[0].rsplit("|", 2)[1]
        assert re.findall(r"`(\w+)`", listed) == list(keys), (destination, event_type, listed)


def test_the_complete_consumer_runs(conn, login_role, dsn, tmp_path):
    (code,) = [c for lang, c, notes in blocks(DOC.read_text()) if "<!-- example: consumer.py -->" in notes]
    assert 25 <= len(code.strip().splitlines()) <= 45
    script = tmp_path / "consumer.py"
    script.write_text(code)
    cid = make_company(conn, tier=2, prefix="OBDOC")
    override(conn, cid, "FORCE_TIER", 1)
    name, _c = login_role("outreach_cl_authority")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["DATABASE_URL"] = dsn.replace("postgres@", f"{name}@", 1)
    p = subprocess.run([sys.executable, str(script), "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    mine = [line for line in p.stdout.splitlines() if cid in line]
    assert [line.split()[0] for line in mine] == ["TIER_CHANGED"] * 4
    assert '"cause": "override"' in mine[-1] and '"effective_tier": 1' in mine[-1]
    assert conn.execute("SELECT backlog, in_flight FROM outreach.fn_outbox_status() WHERE consumer = 'cl-sync'"
                        ).fetchone() == (0, 0)


@pytest.fixture(scope="module")
def demo(admin, template_db, server_dsn):
    """A clone of the template with the data builder's seed 42 (a small `make demo`)."""
    from conftest import _create_db, _drop_db

    _create_db(admin, "outbox_docs_demo", template_db)
    url = server_dsn("outbox_docs_demo")
    seed(url, 300, 42)
    yield url
    _drop_db(admin, "outbox_docs_demo")


def test_the_runnable_examples_run_on_a_seeded_database(demo, run_pyctl):
    ran = 0
    for lang, code, notes in blocks(DOC.read_text()):
        if any("norun" in n for n in notes):
            continue
        if lang == "sql":
            with psycopg.connect(demo, autocommit=True) as c:
                for statement in [s for s in code.split(";\n") if s.strip()]:
                    c.execute(statement)
        elif lang == "sh":
            for line in code.strip().splitlines():
                args = line.split()
                assert args[0] == "pyctl", line
                p = run_pyctl(args[1:], dsn=demo)
                assert p.returncode == 0, (line, output(p))
        else:
            pytest.fail(f"a {lang} block without <!-- norun -->")
        ran += 1
    assert ran >= 5
