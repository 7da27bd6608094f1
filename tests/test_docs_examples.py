"""Docs that run: every shell, SQL and Python example of README.md and
docs/**/*.md runs, in document order, against a freshly seeded demo database
(`pyctl migrate` + `pyctl seed --companies 10000`, seeded once per module;
each page gets its own clone, so that pages cannot disturb each other), and
its expected output or SQLSTATE is checked (tests/docs_runner.py;
docs/writing-docs.md says how to write one and how to mark one that must not
run)."""
from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

from conftest import _create_db, _drop_db
from docs_runner import RUNNABLE, Block, Outcome, check, match_output, parse, run, scratch_checkout
from helpers import REPO_ROOT, seeded_database

#: the demo data `make demo` creates
DEMO_COMPANIES = 10_000
DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]
#: pages whose blocks that must not run say why (older pages may still use a bare <!-- norun -->)
OWN_PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs" / "reference").glob("*.md")),
             *(REPO_ROOT / "docs" / name for name in ("operator-guide.md", "design-decisions.md",
                                                      "writing-docs.md", "benchmarks.md"))]
VENV_BIN = Path(sys.executable).parent


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


@pytest.fixture(scope="module")
def demo_db(admin, template_db, server_dsn, run_pyctl):
    """The demo database: a clone of the migrated template, seeded as `make demo` seeds."""
    with seeded_database(admin, template_db, run_pyctl, server_dsn, DEMO_COMPANIES, "docs") as name:
        yield name


@pytest.mark.parametrize("path", DOCS, ids=_rel)
def test_every_example_runs(path, demo_db, admin, server_dsn, tmp_path):
    runnable = [b for b in parse(path) if b.lang in RUNNABLE and b.norun is None]
    if not runnable:
        return
    page = f"page_{uuid.uuid4().hex[:10]}"
    _create_db(admin, page, demo_db)
    try:
        scratch = scratch_checkout(REPO_ROOT, tmp_path / "checkout")
        for block in runnable:
            out = run(block, server_dsn(page), scratch, VENV_BIN)
            problem = check(block, out)
            if problem:
                pytest.fail(f"{_rel(path)}:{block.line}: {problem}\n--- {block.lang}\n{block.code}"
                            f"--- stdout\n{out.stdout[-3000:]}--- stderr\n{out.stderr[-3000:]}", pytrace=False)
    finally:
        _drop_db(admin, page)


def test_blocks_that_must_not_run_say_why():
    missing = [f"{_rel(b.path)}:{b.line}" for path in OWN_PAGES if path.exists()
               for b in parse(path) if b.lang in RUNNABLE and b.norun == ""]
    assert not missing, f"<!-- norun: reason --> needs its reason: {missing}"


def test_directives_are_understood():
    bad = [f"{_rel(b.path)}:{b.line}: {b.directive_errors}" for path in DOCS for b in parse(path) if b.directive_errors]
    assert not bad, bad


# ------------------------------------------------------------------ the runner itself
PAGE = """# a page

<!-- norun: needs a second cluster -->
```sh
exit 1
```

```sh
echo "hello   world"; echo "id 7f3a"
```

```output
hello world
id ...
```

<!-- expect: exit 3 -->
```sh
exit 3
```

<!-- expect: SQLSTATE 22012 -->
```sql
SELECT 1 / 0;
```

```json
{"not": "run"}
```
"""


def test_the_runner_parses_directives_and_outputs(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    blocks = parse(page)
    assert [(b.lang, b.norun, b.expect_exit, b.expect_sqlstate) for b in blocks] == [
        ("sh", "needs a second cluster", 0, None), ("sh", None, 0, None), ("sh", None, 3, None),
        ("sql", None, 0, "22012"), ("json", None, 0, None)]
    assert blocks[1].expected == "hello world\nid ...\n"


def test_the_runner_fails_what_does_not_hold(tmp_path, dsn):
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    sh, exit3, sqlerr = (b for b in parse(page) if b.norun is None and b.lang != "json")
    for block in (sh, exit3, sqlerr):
        assert check(block, run(block, dsn, tmp_path, VENV_BIN)) is None, block.code
    # and each expectation, broken, is reported
    assert "expected exit 3, got 0" in check(Block(page, 1, "sh", "true\n", expect_exit=3),
                                              run(Block(page, 1, "sh", "true\n"), dsn, tmp_path, VENV_BIN))
    wrong = Block(page, 1, "sh", "echo goodbye\n", expected="hello\n")
    assert "expected output line not found" in check(wrong, run(wrong, dsn, tmp_path, VENV_BIN))
    other = Block(page, 1, "sql", "SELECT 1 / 0;\n", expect_sqlstate="OG002")
    assert "expected SQLSTATE OG002, got 22012" in check(other, run(other, dsn, tmp_path, VENV_BIN))
    fails = Block(page, 1, "sql", "SELECT no_such_function();\n")
    assert "expected exit 0" in check(fails, run(fails, dsn, tmp_path, VENV_BIN))
    py = Block(page, 1, "python", "import os; print(os.environ['DATABASE_URL'] == %r)\n" % dsn, expected="True\n")
    assert check(py, run(py, dsn, tmp_path, VENV_BIN)) is None


def test_output_matching():
    assert match_output("a  b\n...\nc ...\n", "x\na b\ny\nc 123\n") is None
    assert match_output("c\na\n", "a\nc\n") == "a", "in order"
    assert match_output("a\n", "ab\n") == "a", "a whole line"
    assert isinstance(Outcome(0, "", ""), Outcome)
