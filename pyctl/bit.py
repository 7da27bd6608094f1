"""The BIT engine from Python and the shell (docs/reference/bit.md).

  explain_score(conn, company, as_of=None) -> Explanation
      outreach.fn_explain_bit_score for one company (its company_unique_id,
      or its outreach_id), with outreach.fn_compute_bit_score's result for
      the same instant: one ExplainedSignal per counted signal, the sum of
      their contributions, the score (that sum rounded, capped at 100) and
      its tier. An unknown company or a bad timestamp raises BitError.
  explain_lines(explanation) -> list[str]
      the explanation as a text table (what `pyctl bit explain` prints).
  explain_json(explanation) -> str

`pyctl bit explain` (pyctl/commands/bit.py) is a thin wrapper of these.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg

from pyctl.errors import PyctlError, format_db_error
from pyctl.output import table_lines

RESOLVE_SQL = """
SELECT o.outreach_id, o.company_unique_id
  FROM outreach.outreach o
 WHERE o.company_unique_id = %(company)s
    OR (%(oid)s::uuid IS NOT NULL AND o.outreach_id = %(oid)s::uuid)
 ORDER BY (o.company_unique_id = %(company)s) DESC
 LIMIT 1
"""
AS_OF_SQL = "SELECT coalesce(%s::timestamptz, now())"
EXPLAIN_SQL = ("SELECT signal_id, signal_type, occurred_at, points, half_life_days, age_days, decay_factor,"
               " contribution FROM outreach.fn_explain_bit_score(%s::uuid, %s::timestamptz)")
COMPUTE_SQL = ("SELECT score, score_tier, signal_count, last_signal_at"
               " FROM outreach.fn_compute_bit_score(%s::uuid, %s::timestamptz)")
STORED_SQL = ("SELECT score, score_tier, signal_count, as_of, computed_at FROM outreach.bit_scores"
              " WHERE outreach_id = %s::uuid")


class BitError(PyctlError):
    """A BIT request that cannot be answered (one clear line)."""


@dataclass(frozen=True)
class ExplainedSignal:
    """One row of outreach.fn_explain_bit_score."""

    signal_id: int
    signal_type: str
    occurred_at: datetime
    points: Decimal
    half_life_days: Decimal | None
    age_days: Decimal
    decay_factor: Decimal
    contribution: Decimal


@dataclass
class Explanation:
    """Why a company has its BIT score at `as_of`."""

    company_unique_id: str
    outreach_id: Any
    as_of: datetime
    signals: list[ExplainedSignal] = field(default_factory=list)
    total: Decimal = Decimal(0)
    score: Decimal = Decimal(0)
    score_tier: str = "COLD"
    signal_count: int = 0
    stored: dict | None = None

    def as_json(self) -> dict:
        def conv(v):
            if isinstance(v, Decimal):
                return str(v)
            if isinstance(v, datetime):
                return v.isoformat()
            if isinstance(v, uuid.UUID):
                return str(v)
            return v

        d = {k: conv(v) for k, v in asdict(self).items() if k not in ("signals", "stored")}
        d["signals"] = [{k: conv(v) for k, v in asdict(s).items()} for s in self.signals]
        d["stored"] = None if self.stored is None else {k: conv(v) for k, v in self.stored.items()}
        return d


def _as_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except (ValueError, AttributeError, TypeError):
        return None


def explain_score(conn: psycopg.Connection, company: str, as_of: datetime | str | None = None) -> Explanation:
    """Explain the BIT score of `company` (company_unique_id or outreach_id)
    as of `as_of` (default now). Read-only, one snapshot."""
    if company is None or not str(company).strip():
        raise BitError("company must not be blank (pass its company_unique_id or outreach_id)")
    company = str(company)
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            try:
                when = conn.execute(AS_OF_SQL, (as_of,)).fetchone()[0]
            except psycopg.errors.DataError as e:
                msg = e.diag.message_primary or str(e)
                raise BitError(f"invalid --as-of {as_of!r}: {' '.join(msg.split())}") from None
            row = conn.execute(RESOLVE_SQL, {"company": company, "oid": _as_uuid(company)}).fetchone()
            if row is None:
                known = conn.execute("SELECT 1 FROM cl.company_identity WHERE company_unique_id = %s",
                                     (company,)).fetchone()
                if known:
                    raise BitError(f"company {company} has no outreach_id yet, so no BIT signals")
                raise BitError(f"unknown company {company}: not a company_unique_id or outreach_id of the spine")
            oid, cid = row
            signals = [ExplainedSignal(*r) for r in conn.execute(EXPLAIN_SQL, (oid, when)).fetchall()]
            score, tier, count, _last = conn.execute(COMPUTE_SQL, (oid, when)).fetchone()
            stored = conn.execute(STORED_SQL, (oid,)).fetchone()
    except BitError:
        raise
    except psycopg.errors.InsufficientPrivilege as e:
        raise BitError(f"not allowed to read BIT scores: {format_db_error(e)}") from None
    total = sum((s.contribution for s in signals), Decimal(0))
    return Explanation(
        company_unique_id=cid, outreach_id=oid, as_of=when, signals=signals, total=total,
        score=score, score_tier=tier, signal_count=count,
        stored=None if stored is None else dict(zip(("score", "score_tier", "signal_count", "as_of", "computed_at"),
                                                    stored)))


def _num(v: Decimal | None, places: int | None = None) -> str:
    if v is None:
        return "-"
    if places is not None:
        v = v.quantize(Decimal(1).scaleb(-places))
    return format(v, "f")


def explain_lines(ex: Explanation) -> list[str]:
    """The explanation as text: one line per signal, then the total and score."""
    lines = [f"BIT score of {ex.company_unique_id} as of {ex.as_of.isoformat(timespec='seconds')}",
             f"outreach_id {ex.outreach_id}"]
    if not ex.signals:
        lines.append("no signals at or before as_of: score 0 (COLD)")
    else:
        rows = [(str(s.signal_id), s.signal_type, s.occurred_at, _num(s.points),
                 _num(s.half_life_days), _num(s.age_days, 2), _num(s.decay_factor, 6), _num(s.contribution, 4))
                for s in ex.signals]
        lines += table_lines(rows, ["signal_id", "signal_type", "occurred_at", "points", "half_life_d", "age_d",
                                    "decay", "contribution"], right={0, 3, 4, 5, 6, 7})
        capped = " (capped at 100)" if ex.total > 100 else ""
        lines.append(f"sum of contributions {_num(ex.total, 4)} -> score {_num(ex.score)}{capped}, "
                     f"tier {ex.score_tier}, {ex.signal_count} signal(s)")
    if ex.stored is None:
        lines.append("outreach.bit_scores: no row yet (run outreach.fn_refresh_bit_scores)")
    else:
        st = ex.stored
        lines.append(f"outreach.bit_scores: score {_num(st['score'])} ({st['score_tier']}, {st['signal_count']} "
                     f"signal(s)) as of {st['as_of'].isoformat(timespec='seconds')}")
    lines.append("score = LEAST(100, round(sum(points * 0.5 ^ (age_days / half_life_days)), 2))")
    lines.append("  (a type without a half-life does not decay)")
    return lines


def explain_json(ex: Explanation) -> str:
    return json.dumps(ex.as_json(), indent=2)
