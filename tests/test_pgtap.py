"""The pgTAP suite: one pytest item per pgtap_tests/*.sql, each run with
pg_prove against a fresh clone of the migrated template."""
from __future__ import annotations

import pytest

from pyctl.resources import SQL_ROOT
from pyctl.verify import pgtap_files, run_pg_prove

FILES = pgtap_files(SQL_ROOT)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_pgtap_file(path, fresh_db):
    p = run_pg_prove(fresh_db(), path)
    tap = (p.stdout + p.stderr).strip()
    assert p.returncode == 0, f"pg_prove {path.name} failed:\n{tap}"
    assert "Result: PASS" in tap, tap
