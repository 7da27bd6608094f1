"""`pyctl soak`: a randomized, model-based workload over the whole system,
with faults and crashes, then invariant checks and a report (docs/soak.md).

    result = run_soak(dsn, SoakConfig(clients=8, seconds=60, crash_every=20, seed=7), crash=...)
    verdicts = check(result)                      # pyctl.soak.invariants
    doc = document(result, verdicts)              # pyctl.soak.report

Modules: config (settings, ids, bounds), setup (logins, campaigns, first
companies), clients (the operations), crash (the CrashControl interface),
runner (the run and its faults), journal (what each client was told),
invariants (the checks, one function each), report (JSON and text).
"""
from pyctl.soak.config import SoakConfig
from pyctl.soak.crash import CrashControl, EmbeddedCrash
from pyctl.soak.invariants import INVARIANTS, Evidence, Finding, check, invariant
from pyctl.soak.report import document, text
from pyctl.soak.runner import SoakResult, run_soak

__all__ = ["SoakConfig", "CrashControl", "EmbeddedCrash", "INVARIANTS", "Evidence", "Finding", "check",
           "invariant", "document", "text", "SoakResult", "run_soak"]
