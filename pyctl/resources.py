"""Where pyctl finds the SQL sources (db/ with its manifest, functions/,
triggers/, views/, pgtap_tests/): one locator for a checkout and for an
installed wheel.

In the repository the sources sit at its root, beside the package. A built
wheel carries them as package data under pyctl/sql/ (setup.py copies them at
build time; docs/development.md). SQL_ROOT is, in this order:

1. $PYCTL_PROJECT_ROOT, when set: a directory holding db/manifest.txt
   (another checkout, or a copy of the sources);
2. pyctl/sql/ of the installed package, when it is there (a wheel);
3. the folder that holds the package (a checkout, or an editable install).

Standard library only: the client modules may import it.
"""
from __future__ import annotations

import os
from pathlib import Path

#: the source directories, relative to the root; all of them ship in the wheel
SQL_DIRS = ("db", "functions", "triggers", "views", "pgtap_tests")
#: the order in which `pyctl migrate` re-applies the repeatable sources
MANIFEST = "db/manifest.txt"
#: where a wheel carries the sources, relative to the package
PACKAGE_DATA_DIR = "sql"
#: the variable that points pyctl at other sources
ENV_VAR = "PYCTL_PROJECT_ROOT"

_PACKAGE = Path(__file__).resolve().parent


def candidates() -> list[Path]:
    """Where SQL_ROOT may be, in the order they are tried."""
    found = [Path(os.environ[ENV_VAR]).resolve()] if os.environ.get(ENV_VAR) else []
    return found + [_PACKAGE / PACKAGE_DATA_DIR, _PACKAGE.parent]


def sql_root() -> Path:
    """The first candidate that holds the manifest; else the last one (so
    that a missing source is reported where a checkout would have it)."""
    paths = candidates()
    if os.environ.get(ENV_VAR):
        return paths[0]  # asked for explicitly: used as given, or reported missing there
    return next((p for p in paths if (p / MANIFEST).is_file()), paths[-1])


SQL_ROOT = sql_root()
