"""The parts of `pyctl scan` one at a time, without a database: which SQL is
a write (the PostgreSQL parser), how SQL is read out of Python, dependency
files, suppression comments, DONE documents, path globs."""
from __future__ import annotations

import pytest

from pyctl.scan import config, deps, done, pysource
from pyctl.scan.engine import parse_suppression, without_psql_commands
from pyctl.scan.sqlwrites import SQLSyntaxError, sql_writes


def writes(text):
    return [(w.statement, w.qualified, w.operations) for w in sql_writes(text)]


# ------------------------------------------------------------------ SQL
@pytest.mark.parametrize("text, expected", [
    ("SELECT outreach.set_marketing_override('c', 'BLOCK_EMAIL', 'r', 'a')", []),
    ("SELECT * FROM outreach.company_hub_status", []),
    ("COPY outreach.bit_scores TO STDOUT", []),
    ("ALTER TABLE outreach.bit_scores ENABLE ALWAYS TRIGGER t", []),
    ("INSERT INTO outreach.company_hub_status VALUES (1)",
     [("INSERT", "outreach.company_hub_status", ("INSERT",))]),
    ("WITH d AS (DELETE FROM shq.audit_log RETURNING *) SELECT count(*) FROM d",
     [("DELETE", "shq.audit_log", ("DELETE",))]),
    ("UPDATE bit_scores SET score = 1", [("UPDATE", "bit_scores", ("UPDATE",))]),
    ("MERGE INTO outreach.manual_overrides m USING x ON true WHEN MATCHED THEN UPDATE SET reason = 'r' "
     "WHEN NOT MATCHED THEN INSERT (reason) VALUES ('r')",
     [("MERGE", "outreach.manual_overrides", ("UPDATE", "INSERT"))]),
    ("TRUNCATE outreach.bit_scores, shq.audit_log",
     [("TRUNCATE", "outreach.bit_scores", ("TRUNCATE",)), ("TRUNCATE", "shq.audit_log", ("TRUNCATE",))]),
    ("COPY outreach.bit_signals (outreach_id) FROM STDIN", [("COPY FROM", "outreach.bit_signals", ("INSERT",))]),
    ("ALTER TABLE outreach.hub_registry ENABLE REPLICA TRIGGER t",
     [("ALTER TABLE ENABLE REPLICA TRIGGER", "outreach.hub_registry", ())]),
    ("DROP TRIGGER trg ON outreach.hub_registry", [("DROP TRIGGER", "outreach.hub_registry", ())]),
    ("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DELETE FROM outreach.bit_scores $$",
     [("DELETE", "outreach.bit_scores", ("DELETE",))]),
    ("CREATE FUNCTION f() RETURNS void LANGUAGE sql BEGIN ATOMIC DELETE FROM outreach.bit_scores; END",
     [("DELETE", "outreach.bit_scores", ("DELETE",))]),
    ("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN IF true THEN "
     "INSERT INTO outreach.manual_overrides DEFAULT VALUES; END IF; END $$",
     [("INSERT", "outreach.manual_overrides", ("INSERT",))]),
    ("INSERT INTO t VALUES (%s, %(name)s, :named)", [("INSERT", "t", ("INSERT",))]),
])
def test_sql_writes(text, expected):
    assert writes(text) == expected


def test_positions_point_at_the_table_even_with_multibyte_text():
    text = "SELECT 'é€';\n\nDO $$\nBEGIN\n  UPDATE outreach.manual_overrides SET reason = 'ü';\nEND $$;"
    (w,) = sql_writes(text)
    assert text[w.offset:].startswith("outreach.manual_overrides")
    assert text[w.statement_offset:].startswith("UPDATE")


def test_sql_syntax_error_has_its_offset():
    with pytest.raises(SQLSyntaxError) as e:
        sql_writes("SELECT 1;\nUPDATE x SET y = WHERE")
    assert e.value.offset == len("SELECT 1;\nUPDATE x SET y = ")


def test_psql_commands_are_blanked_in_place():
    text = "\\set ON_ERROR_STOP 1\nSELECT 1 AS a \\gset\nSELECT :'a'::int;\nDELETE FROM shq.audit_log;\n"
    clean = without_psql_commands(text)
    assert len(clean) == len(text)
    (w,) = sql_writes(clean)
    assert text[w.offset:].startswith("shq.audit_log")


# ------------------------------------------------------------------ Python
def sql_of(source):
    return [(s.text.strip(), s.line) for s in pysource.analyse(source).sql]


def test_python_literals_fstrings_and_names():
    src = '''
TABLE = "outreach.bit_scores"

def f(conn, cur, x):
    q = "DELETE FROM " + TABLE
    conn.execute(q)
    cur.execute(f"UPDATE {TABLE} SET score = {x}")
    cur.executemany("INSERT INTO {} VALUES (%s)".format(TABLE), [])
    cur.execute(query="TRUNCATE " + TABLE)
    conn.execute(text("DELETE FROM outreach.bit_scores WHERE id = :id"))
    conn.execute(compute())
'''
    assert sql_of(src) == [
        ("DELETE FROM outreach.bit_scores", 6),
        ("UPDATE outreach.bit_scores SET score = __pyctl_hole__", 7),
        ("INSERT INTO outreach.bit_scores VALUES (%s)", 8),
        ("TRUNCATE outreach.bit_scores", 9),
        ("DELETE FROM outreach.bit_scores WHERE id = :id", 10),
    ]


def test_psycopg_sql_compositions():
    src = '''
from psycopg import sql
def f(cur):
    cur.execute(sql.SQL("UPDATE {t} SET {c} = {v}").format(
        t=sql.Identifier("outreach", "bit_scores"), c=sql.Identifier("score"), v=sql.Literal(1)))
    cur.execute(sql.SQL(" ").join([sql.SQL("DELETE FROM"), sql.Identifier("shq", "audit_log")]))
    cur.execute(sql.Composed([sql.SQL("TRUNCATE "), sql.Identifier(name)]))
'''
    found = sql_of(src)
    assert found == [('UPDATE "outreach"."bit_scores" SET "score" = $1', 4),
                     ('DELETE FROM "shq"."audit_log"', 6),
                     ("TRUNCATE __pyctl_hole__", 7)]
    assert [w.qualified for s in pysource.analyse(src).sql for w in sql_writes(s.text)] == \
        ["outreach.bit_scores", "shq.audit_log", "__pyctl_hole__"]


def test_docstrings_and_comments_are_not_code():
    src = '"""INSERT INTO outreach.bit_scores, https://api.hunter.io"""\n# conn.execute("DELETE FROM x")\n' \
          'def f():\n    """See https://api.hunter.io/v2."""\n    return "https://api.hunter.io/v2/x"\n'
    facts = pysource.analyse(src)
    assert facts.sql == [] and [(h, s.line) for h, s in facts.hosts] == [("api.hunter.io", 5)]


def test_pruned_visit_finds_the_same_facts():
    src = '''
import os
import pyhunter.client as h

@enforce_tool_canon("TOOL-008", "company-target", InteractionType.ENRICH)
def f(conn):
    url = "https://api.hunter.io/v2"
    if os.environ:
        for _ in range(2):
            conn.execute("DELETE FROM outreach.bit_scores")
    return url
'''
    full = pysource.analyse(src)
    pruned = pysource.analyse(src, interesting=pysource.interesting_pattern(["api.hunter.io"], ["pyhunter"]))
    for field in ("sql", "hosts", "guard_calls"):
        assert getattr(pruned, field) == getattr(full, field), field
    assert len(full.sql) == len(full.hosts) == len(full.guard_calls) == 1
    # only the imports that can name a vendor are visited
    assert pruned.imports == [i for i in full.imports if i[0].startswith("pyhunter")] != []


def test_suppression_lines_cover_the_whole_statement():
    src = 'def f(conn):\n    conn.execute(\n        "DELETE FROM outreach.bit_scores"\n    )  # end\n'
    (s,) = pysource.analyse(src).sql
    assert (s.line, s.first_line, s.last_line) == (3, 2, 4)


# ------------------------------------------------------------------ dependency files
def test_requirements():
    text = ("# c\n-r base.txt\n--index-url https://x\nLinkedIn.Scraper[x]==1 ; python_version > '3'\n"
            "-e git+https://github.com/o/r.git#egg=pyhunter\nclearbit @ https://x/clearbit.whl\n"
            "  peopledatalabs>=6  # comment\n")
    assert deps.dependencies("requirements/prod.txt", text) == [
        ("linkedin-scraper", 4), ("pyhunter", 5), ("clearbit", 6), ("peopledatalabs", 7)]


def test_pyproject_pep621_pep735_poetry():
    text = '''[project]
dependencies = ["requests>=2"]
[project.optional-dependencies]
scrape = ["linkedin_scraper"]
[dependency-groups]
dev = ["pyhunter"]
[tool.poetry.dependencies]
python = "^3.11"
Clearbit = "*"
[tool.poetry.group.test.dependencies]
peopledatalabs = "*"
'''
    assert deps.dependencies("pyproject.toml", text) == [
        ("requests", 2), ("linkedin-scraper", 4), ("pyhunter", 6), ("clearbit", 9), ("peopledatalabs", 11)]
    with pytest.raises(ValueError):
        deps.dependencies("pyproject.toml", "[project\n")


def test_dependency_file_names():
    assert all(deps.is_dependency_file(p) for p in
               ["requirements.txt", "a/requirements-dev.txt", "requirements/base.txt", "pyproject.toml",
                "x/uv.lock", "poetry.lock"])
    assert not any(deps.is_dependency_file(p) for p in ["notes.txt", "setup.cfg", "Pipfile"])


# ------------------------------------------------------------------ suppressions
@pytest.mark.parametrize("comment, expected", [
    ("# pyctl: allow OGS101 -- reviewed", (["OGS101"], "reviewed", None)),
    ("# pyctl: allow illegal-writer, OGS302 -- two at once", (["OGS101", "OGS302"], "two at once", None)),
    ("-- pyctl: allow illegal-writer -- in SQL", (["OGS101"], "in SQL", None)),
    ("<!-- pyctl: allow OGS401 -- not yet a hub -->", (["OGS401"], "not yet a hub", None)),
    ("# pyctl: allow OGS101", (["OGS101"], None, "has no reason after `--`")),
    ("# pyctl: allow OGS101 --   ", (["OGS101"], None, "has no reason after `--`")),
    ("# pyctl: allow nonsense -- why", ([], "why", "names unknown rule(s) nonsense")),
    ("# pyctl: allow -- why", ([], "why", "names no rule")),
    ("# a comment about pyctl", None),
])
def test_parse_suppression(comment, expected):
    assert parse_suppression(comment) == expected


# ------------------------------------------------------------------ DONE document
def test_done_document_parsing():
    text = ("intro | with a pipe\n\n| Function | Hub |\n|---|---|\n| `fn_check_dol_done(x)` | DOL |\n\n"
            "| HUB | Checker | Required |\n| :-- | --- | :-: |\n| Company Target | `shq.fn_check_company_target_done` | ✅ |\n"
            "| bit-engine | shq.fn_check_bit_done() | no |\n\nafter\n")
    doc = done.parse(text)
    assert doc.header_line == 3
    assert [(r.line, r.hub, r.checker, r.required) for r in doc.rows] == [(5, "DOL", "shq.fn_check_dol_done", None)]
    doc = done.parse(text.replace("| Function | Hub |", "| Function | Owner |"))
    assert doc.header_line == 7
    assert [(r.line, r.hub, r.checker, r.required) for r in doc.rows] == [
        (9, "Company Target", "shq.fn_check_company_target_done", True),
        (10, "bit-engine", "shq.fn_check_bit_done", False)]
    assert done.parse("no table here").header_line is None


# ------------------------------------------------------------------ paths
@pytest.mark.parametrize("path, pattern, hit", [
    ("hubs/dol-filings/imo/middle/hub_status.py", "hubs/*/imo/middle/hub_status.py", True),
    ("hubs/a/b/imo/middle/hub_status.py", "hubs/*/imo/middle/hub_status.py", False),
    ("scripts/x.py", "scripts/", True),
    ("hubs/x/scripts/x.py", "scripts/", False),
    ("a/b/migrations/1.sql", "**/migrations/*.sql", True),
    ("migrations/1.sql", "**/migrations/*.sql", True),
    ("infra/migrations/sub/1.sql", "infra/migrations/*.sql", False),
])
def test_globs(path, pattern, hit):
    assert config.matches(path, pattern) is hit


def test_read_only_paths_beat_sanctioned_ones():
    cfg = config.from_mapping({"writers": {"sanctioned": ["ops/**"], "read_only": ["ops/"]}}, "t")
    assert cfg.is_read_only("ops/x.py") and not cfg.is_sanctioned("ops/x.py", "outreach.bit_scores")
    cfg = config.ScanConfig()
    assert cfg.is_sanctioned("hubs/x/imo/middle/hub_status.py", "outreach.company_hub_status")
    assert not cfg.is_sanctioned("hubs/x/imo/middle/hub_status.py", "outreach.manual_overrides")


@pytest.mark.parametrize("data, message", [
    ({"writer": {}}, "unknown section [writer]"),
    ({"writers": {"sanctioned": ["x"], "extra": 1}}, "unknown key(s) in [writers]: extra"),
    ({"writers": {"sanctioned": [{"path": "x", "tables": "t"}]}}, "writers.sanctioned.tables"),
    ({"done": {"definitions": 3}}, "done.definitions must be a path or false"),
    ({"hubs": {"paths": {"x/**": 1}}}, "hubs.paths must map globs to hub ids"),
])
def test_bad_settings_are_usage_errors(data, message):
    from pyctl.errors import PyctlError

    with pytest.raises(PyctlError) as e:
        config.from_mapping(data, "pyctl-scan.toml")
    assert message in str(e.value) and e.value.exit_code == 2


def test_excluded_files_stay_excluded_when_named_one_by_one(tmp_path):
    from pyctl.scan.engine import collect_files

    for rel in ("tests/fixtures/a.py", "hubs/x/b.py", "notes.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("")
    cfg = config.from_mapping({"scan": {"exclude": ["tests/fixtures/**"]}}, "t")
    named = [tmp_path / "tests/fixtures/a.py", tmp_path / "hubs/x/b.py", tmp_path / "notes.txt"]
    assert [rel for _, rel in collect_files(named, tmp_path, cfg)] == ["hubs/x/b.py"]
    assert [rel for _, rel in collect_files([tmp_path], tmp_path, cfg)] == ["hubs/x/b.py"]
