"""`pyctl smoke`: shq.fn_run_smoke_test from a shell (docs/reference/operations.md).

Random companies, their completion status and effective tier from the
authoritative views, a dry-run safety-gate verdict for each (against the
SMOKE-TEST campaign of migration 0601), and one SMOKE_TEST row in
shq.audit_log. A blocked verdict is information, not a failure: the command
fails only when the test itself cannot run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pyctl.dsn import connect
from pyctl.errors import PyctlError
from pyctl.output import table_lines

DEFAULT_SAMPLE = 5
COLUMNS = ("company_unique_id", "completion_status", "effective_tier", "is_eligible", "block_reason")


@dataclass
class SmokeResult:
    rows: list[dict] = field(default_factory=list)
    audit_id: int | None = None

    @property
    def eligible(self) -> int:
        return sum(1 for r in self.rows if r["is_eligible"])


def run_smoke(dsn: str, sample: int = DEFAULT_SAMPLE) -> SmokeResult:
    """Run the smoke test once (one transaction, committed): its rows and the
    audit_id of its SMOKE_TEST audit row."""
    with connect(dsn, application_name="pyctl smoke") as conn:
        if not conn.execute("SELECT to_regprocedure('shq.fn_run_smoke_test(integer)') IS NOT NULL").fetchone()[0]:
            raise PyctlError("shq.fn_run_smoke_test is not installed: run `pyctl migrate` first")
        cur = conn.execute("SELECT company_unique_id, completion_status, effective_tier, is_eligible, block_reason"
                           " FROM shq.fn_run_smoke_test(%s)", (sample,))
        rows = [dict(zip(COLUMNS, r)) for r in cur.fetchall()]
        audit_id = conn.execute("SELECT max(audit_id) FROM shq.audit_log WHERE event_type = 'SMOKE_TEST'"
                                " AND occurred_at = now()").fetchone()[0]
        conn.commit()
    return SmokeResult(rows, audit_id)


def render(result: SmokeResult) -> list[str]:
    """A table of the verdicts and one summary line."""
    rows = [[r["company_unique_id"], r["completion_status"] or "n/a",
             "n/a" if r["effective_tier"] is None else str(r["effective_tier"]),
             "yes" if r["is_eligible"] else "no", r["block_reason"] or "-"] for r in result.rows]
    if rows:
        lines = table_lines(rows, ["company_unique_id", "completion", "tier", "eligible", "block_reason"])
    else:
        lines = ["no companies in the spine: nothing to sample"]
    lines.append(f"smoke test: {len(result.rows)} companies checked, {result.eligible} eligible"
                 f" (dry-run gate, campaign SMOKE-TEST)")
    lines.append(f"  logged as audit row {result.audit_id} in shq.audit_log")
    return lines
