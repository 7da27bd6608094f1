"""The metric families (docs/monitoring.md) from Python: discover them, scrape
them, refresh their snapshots, and write postgres_exporter's queries file.

A metric family is one view `shq.vw_metrics_<family>` whose columns carry a
`COMMENT ON COLUMN` starting with its usage (`LABEL:`, `GAUGE:` or
`COUNTER:`) and whose view comment describes it. The catalog is the only
list of families: adding one is adding one such view. Each non-label column
becomes the Prometheus metric `outreach_<family>_<column>`, labelled by the
label columns.

    families(conn)                 the families, from the catalog
    queries_yaml(families)         postgres_exporter's --extend.query-path file
    scrape(conn)                   every sample, [(metric, labels, value)], as the exporter would
    scrape_timed(conn)             the same, with the seconds each family took
    refresh_snapshot(conn)         shq.fn_refresh_metrics_snapshot()
"""
from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from pyctl.errors import PyctlError

VIEW_SCHEMA = "shq"
VIEW_PREFIX = "vw_metrics_"
METRIC_PREFIX = "outreach_"
USAGES = ("LABEL", "GAUGE", "COUNTER")
#: where the project ships the exporter's queries file (in the checkout, beside pyctl/)
QUERIES_FILE = Path(__file__).resolve().parents[1] / "monitoring" / "postgres_exporter" / "queries.yaml"

FAMILIES_SQL = """
SELECT c.relname,
       coalesce(obj_description(c.oid, 'pg_class'), ''),
       array_agg(a.attname::text ORDER BY a.attnum),
       array_agg(coalesce(col_description(c.oid, a.attnum), '') ORDER BY a.attnum)
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'v' AND c.relname LIKE %s
 GROUP BY c.oid, c.relname
 ORDER BY c.relname
"""


@dataclass
class Column:
    name: str
    usage: str
    description: str


@dataclass
class Family:
    view: str                      # e.g. "vw_metrics_gate"
    description: str
    columns: list[Column] = field(default_factory=list)

    @property
    def name(self) -> str:         # e.g. "outreach_gate"
        return METRIC_PREFIX + self.view[len(VIEW_PREFIX):]

    @property
    def qualified_view(self) -> str:
        return f"{VIEW_SCHEMA}.{self.view}"

    @property
    def labels(self) -> list[str]:
        return [c.name for c in self.columns if c.usage == "LABEL"]

    @property
    def values(self) -> list[Column]:
        return [c for c in self.columns if c.usage != "LABEL"]

    def metric(self, column: str) -> str:
        return f"{self.name}_{column}"

    def query(self) -> str:
        return f"SELECT {', '.join(c.name for c in self.columns)} FROM {self.qualified_view}"


def families(conn: psycopg.Connection) -> list[Family]:
    """Every metric family view, in name order. A column whose comment does
    not start with a usage is an error (the exporter would not know it)."""
    rows = conn.execute(FAMILIES_SQL, (VIEW_SCHEMA, VIEW_PREFIX.replace("_", "\\_") + "%")).fetchall()
    if not rows:
        raise PyctlError(f"no metric family views ({VIEW_SCHEMA}.{VIEW_PREFIX}*) in this database "
                         "| hint: run `pyctl migrate`")
    out = []
    for view, description, names, comments in rows:
        fam = Family(view, " ".join(description.split()))
        for name, comment in zip(names, comments):
            usage, _, text = comment.partition(":")
            if usage.strip() not in USAGES or not text.strip():
                raise PyctlError(f"column {VIEW_SCHEMA}.{view}.{name} has no metric usage: its comment must start "
                                 f"with one of {', '.join(u + ':' for u in USAGES)} and describe it (got {comment!r})")
            fam.columns.append(Column(name, usage.strip(), " ".join(text.split())))
        if not fam.values:
            raise PyctlError(f"metric family view {VIEW_SCHEMA}.{view} has no GAUGE or COUNTER column")
        out.append(fam)
    return out


# ------------------------------------------------------------------ exporter queries file
def _q(s: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(s, ensure_ascii=False)


def queries_yaml(fams: list[Family]) -> str:
    """postgres_exporter's custom queries file (--extend.query-path) for the
    families: one query per family, reading its view."""
    lines = [
        "# postgres_exporter custom queries of the outreach governance core.",
        "# GENERATED from the shq.vw_metrics_* views and their column comments by",
        "# `pyctl metrics queries --output monitoring/postgres_exporter/queries.yaml`;",
        "# do not edit by hand (a test fails when this file and the views drift apart).",
        "# Metric names: <key>_<column>; LABEL columns become labels. See docs/monitoring.md.",
    ]
    for f in fams:
        lines += ["", f"# {f.description}" if f.description else f"# {f.qualified_view}",
                  f"{f.name}:",
                  f"  query: {_q(f.query())}",
                  "  master: true",
                  "  metrics:"]
        for c in f.columns:
            lines += [f"    - {c.name}:",
                      f"        usage: {_q(c.usage)}",
                      f"        description: {_q(c.description)}"]
    return "\n".join(lines) + "\n"


def write_queries(conn: psycopg.Connection, path: Path | str = QUERIES_FILE) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(queries_yaml(families(conn)))
    return path


def check_queries(conn: psycopg.Connection, path: Path | str = QUERIES_FILE) -> list[str]:
    """The lines where the shipped file differs from what the views generate
    ([] when they agree)."""
    import difflib

    path = Path(path)
    want = queries_yaml(families(conn))
    have = path.read_text() if path.exists() else ""
    return list(difflib.unified_diff(have.splitlines(), want.splitlines(), str(path), "generated", lineterm="", n=1))


# ------------------------------------------------------------------ scraping
def _value(v) -> float:
    if v is None:
        return math.nan
    if isinstance(v, bool):
        return 1.0 if v else 0.0
    return float(v)


def scrape_family(conn: psycopg.Connection, fam: Family) -> list[tuple[str, dict, float]]:
    """The samples of one family: (metric name, labels, value); NULL is NaN
    (as the exporter reports it)."""
    query = sql.SQL("SELECT {} FROM {}.{}").format(
        sql.SQL(", ").join(sql.Identifier(c.name) for c in fam.columns),
        sql.Identifier(VIEW_SCHEMA), sql.Identifier(fam.view))
    cur = conn.execute(query)
    names = [d.name for d in cur.description]
    out = []
    for row in cur.fetchall():
        rec = dict(zip(names, row))
        labels = {k: "" if rec[k] is None else str(rec[k]) for k in fam.labels}
        for c in fam.values:
            out.append((fam.metric(c.name), labels, _value(rec[c.name])))
    return out


def scrape_timed(conn: psycopg.Connection) -> tuple[list[tuple[str, dict, float]], dict[str, float]]:
    """Every family's samples, and the seconds each family's query took."""
    samples, seconds = [], {}
    for fam in families(conn):
        t0 = time.perf_counter()
        samples += scrape_family(conn, fam)
        seconds[fam.name] = time.perf_counter() - t0
    return samples, seconds


def scrape(conn: psycopg.Connection) -> list[tuple[str, dict, float]]:
    return scrape_timed(conn)[0]


def exposition(samples: list[tuple[str, dict, float]]) -> str:
    """Samples in the Prometheus text format (what `pyctl metrics show` prints)."""
    lines = []
    for name, labels, value in samples:
        lab = ",".join(f'{k}="{v}"' for k, v in labels.items())
        lines.append(f"{name}{{{lab}}} {value:g}" if lab else f"{name} {value:g}")
    return "\n".join(lines) + ("\n" if lines else "")


# ------------------------------------------------------------------ snapshots
def refresh_snapshot(conn: psycopg.Connection) -> list[tuple]:
    """shq.fn_refresh_metrics_snapshot(): (name, refreshed, duration_ms, detail) per snapshot."""
    with conn.transaction():
        return conn.execute("SELECT * FROM shq.fn_refresh_metrics_snapshot()").fetchall()


__all__ = ["Column", "Family", "QUERIES_FILE", "check_queries", "exposition", "families", "queries_yaml",
           "refresh_snapshot", "scrape", "scrape_family", "scrape_timed", "write_queries"]
