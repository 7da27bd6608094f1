"""The pgTAP suite on a database that already holds data: every
pgtap_tests/*.sql file, run with pg_prove against ONE seeded clone of the
migrated template (companies in every tier, overrides, campaigns, gate
verdicts, sends, engagement, governed errors, BIT signals: `pyctl seed`), the
way `pyctl verify` runs it against a live database. Each file rolls itself
back, so afterwards the data is as it was."""
from __future__ import annotations

import uuid

import pytest

from pathlib import Path

from psycopg import sql

from helpers import fingerprint, fingerprint_diff, output
from pyctl.verify import pgtap_files, run_pg_prove

#: the checkout's SQL sources (this file is in tests/)
ROOT = Path(__file__).resolve().parent.parent
FILES = pgtap_files(ROOT)
#: enough companies for every tier, override, verdict and error disposition to occur
SEED_COMPANIES = 2000


@pytest.fixture(scope="module")
def seeded(admin, template_db, server_dsn, run_pyctl):
    """A clone of the migrated template, seeded; its fingerprint before the suite."""
    name = f"s_{uuid.uuid4().hex[:12]}"
    admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template_db)))
    try:
        dsn = server_dsn(name)
        p = run_pyctl(["seed", "--companies", str(SEED_COMPANIES), "--dsn", dsn])
        if p.returncode != 0:
            pytest.fail(f"pyctl seed failed:\n{output(p)[-3000:]}", pytrace=False)
        yield dsn, fingerprint(dsn)
    finally:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_pgtap_file_passes_on_seeded_data(path, seeded):
    dsn, _ = seeded
    p = run_pg_prove(dsn, path)
    tap = (p.stdout + p.stderr).strip()
    assert p.returncode == 0, f"pg_prove {path.name} failed on a seeded database:\n{tap}"
    assert "Result: PASS" in tap, tap


def test_the_suite_leaves_the_data_as_it_was(seeded):
    """Runs last in this module: every file rolled itself back."""
    dsn, before = seeded
    after = fingerprint(dsn)
    assert fingerprint_diff(before, after) == []
    assert after[1] == before[1]


def test_the_suite_runs_every_test_file_and_not_the_fixtures_they_include():
    """pyctl.verify.pgtap_files globs pgtap_tests/*.sql: the shared setup the
    files include (`\\ir fixtures/...`) lives in a subdirectory so that it is
    never run as a test of its own."""
    fixtures = sorted((ROOT / "pgtap_tests" / "fixtures").glob("*.sql"))
    assert fixtures, "no pgTAP fixture found"
    assert not set(FILES) & set(fixtures)
    assert {p.name for p in FILES} >= {"guarded_tables.sql", "one_home_rules.sql", "gate_check.sql"}
    including = [p.name for p in FILES if "\\ir fixtures/company.sql" in p.read_text()]
    assert len(including) >= 6, including
