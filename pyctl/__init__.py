"""pyctl: the thin controller of the outreach governance core.

Nearly all logic lives in PostgreSQL (functions/, triggers/, views/, db/);
this package starts the embedded cluster, applies migrations, runs checks and
renders reports.
"""
import os
from pathlib import Path

__version__ = "0.1.0"

#: the project checkout (db/, functions/, triggers/, views/, pgtap_tests/);
#: $PYCTL_PROJECT_ROOT points pyctl at another checkout
PROJECT_ROOT = Path(os.environ.get("PYCTL_PROJECT_ROOT") or Path(__file__).resolve().parent.parent).resolve()
