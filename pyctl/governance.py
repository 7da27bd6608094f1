"""Error governance (docs/reference/governance.md) and its pg_cron schedule (docs/reference/governance.md), from Python.

Plain functions over a psycopg connection; `pyctl governance ...` and
`pyctl schedule` are thin wrappers around them, and tests call them directly.
All the logic is in the database (functions/shq/fn_*error*.sql and friends):

    run_jobs(conn)                      shq.fn_run_error_governance_jobs(): park, archive, escalate
    archive_expired(conn, batch_size)   TTL archiving, one committed transaction per batch
    cleanup_archives(conn)              shq.fn_cleanup_expired_archives()
    archive_error / resolve_error / unpark_error(conn, table, error_id, reason, actor)
    summary(conn), blocking(conn)       the two error views
    archive_summary(conn)               the archives (shq.fn_error_archive_summary())
    summary_report(conn)                live by disposition + archived, per table
    schedule(conn)                      CREATE EXTENSION pg_cron when possible, then
                                        shq.fn_schedule_governance_jobs()
    job_health(conn), job_health_lines(conn)   shq.vw_governance_job_health (for `pyctl state`)
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import psycopg
from psycopg.rows import dict_row

from pyctl.errors import PyctlError, format_db_error
from pyctl.output import table_lines

#: job names of shq.fn_run_error_governance_jobs(), in the order it runs them
JOBS = ("park", "archive", "escalate")

#: SQLSTATEs shq.fn_schedule_governance_jobs() raises when pg_cron is unusable
PG_CRON_MISSING_CODES = ("55000", "42501")
DEFAULT_BATCH_SIZE = 10_000


def _rows(conn: psycopg.Connection, query: str, params: Any = None) -> list[dict]:
    with conn.cursor(row_factory=dict_row) as cur:
        cur.execute(query, params)
        return cur.fetchall() if cur.description else []


# ------------------------------------------------------------------ jobs
def run_jobs(conn: psycopg.Connection) -> list[dict]:
    """Run shq.fn_run_error_governance_jobs() (one transaction, one audit
    row); returns its rows: {job, table_name, affected}."""
    with conn.transaction():
        return _rows(conn, "SELECT * FROM shq.fn_run_error_governance_jobs()")


def archive_expired(conn: psycopg.Connection, batch_size: int = DEFAULT_BATCH_SIZE,
                    max_batches: int | None = None,
                    echo: Callable[[str], None] | None = None) -> dict[str, int]:
    """TTL archiving with a commit after every batch, so no transaction holds
    its row locks longer than one batch (shq.fn_archive_expired_errors() does
    the same work in ONE transaction). Calls
    shq.fn_archive_expired_errors_batched(batch_size, 1) until a round moves
    nothing (or `max_batches` rounds ran). Returns rows archived per table."""
    if batch_size < 1:
        raise PyctlError(f"--batch-size must be positive, got {batch_size}")
    totals: dict[str, int] = {}
    rounds = 0
    while max_batches is None or rounds < max_batches:
        with conn.transaction():
            rows = _rows(conn, "SELECT * FROM shq.fn_archive_expired_errors_batched(%s, 1)", (batch_size,))
        rounds += 1
        moved = 0
        for r in rows:
            totals[r["table_name"]] = totals.get(r["table_name"], 0) + r["archived"]
            moved += r["archived"]
        if echo and moved:
            echo(f"archive: round {rounds}: {moved} rows ({sum(totals.values())} so far)")
        if moved == 0:
            break
    return totals


def cleanup_archives(conn: psycopg.Connection) -> list[dict]:
    """shq.fn_cleanup_expired_archives(): archive rows past retention deleted."""
    with conn.transaction():
        return _rows(conn, "SELECT * FROM shq.fn_cleanup_expired_archives()")


# ------------------------------------------------------------------ manual actions
MANUAL_ACTIONS = {
    "archive": "shq.fn_archive_error",
    "resolve": "shq.fn_resolve_error",
    "unpark": "shq.fn_unpark_error",
}


def manual_action(conn: psycopg.Connection, action: str, table: str, error_id: int, reason: str,
                  actor: str) -> str:
    """One operator action on one error (audited in shq.audit_log); returns
    the error's new disposition."""
    fn = MANUAL_ACTIONS[action]
    with conn.transaction():
        row = conn.execute(f"SELECT {fn}(%s::text, %s::bigint, %s::text, %s::text)::text",
                           (table, error_id, reason, actor)).fetchone()
    return row[0]


def archive_error(conn, table, error_id, reason, actor) -> str:
    return manual_action(conn, "archive", table, error_id, reason, actor)


def resolve_error(conn, table, error_id, reason, actor) -> str:
    return manual_action(conn, "resolve", table, error_id, reason, actor)


def unpark_error(conn, table, error_id, reason, actor) -> str:
    return manual_action(conn, "unpark", table, error_id, reason, actor)


# ------------------------------------------------------------------ views
def summary(conn: psycopg.Connection) -> list[dict]:
    return _rows(conn, "SELECT * FROM shq.vw_error_governance_summary ORDER BY table_name, disposition")


def archive_summary(conn: psycopg.Connection) -> list[dict]:
    """shq.fn_error_archive_summary(): archived rows per table and final disposition."""
    return _rows(conn, "SELECT * FROM shq.fn_error_archive_summary()")


def dispositions(conn: psycopg.Connection) -> list[str]:
    """The values of the enum shq.error_disposition, in its order."""
    return [r[0] for r in conn.execute("SELECT unnest(enum_range(NULL::shq.error_disposition))::text").fetchall()]


def totals(live: Sequence[dict], archived: Sequence[dict], tables: Sequence[str],
           disposition_names: Sequence[str]) -> list[dict]:
    """One row per governed table (in `tables` order): live errors by
    disposition, rows in its archive, and the total, so that an error moved to
    the archive is still counted (a governance run changes where errors are,
    not how many)."""
    out = {t: {"table_name": t, **{d: 0 for d in disposition_names}, "in_archive": 0, "total": 0}
           for t in dict.fromkeys([*tables, *(r["table_name"] for r in live), *(r["table_name"] for r in archived)])}
    for r in live:
        out[r["table_name"]][str(r["disposition"])] += r["errors"]
        out[r["table_name"]]["total"] += r["errors"]
    for r in archived:
        out[r["table_name"]]["in_archive"] += r["archived"]
        out[r["table_name"]]["total"] += r["archived"]
    return list(out.values())


def summary_report(conn: psycopg.Connection) -> dict:
    """What `pyctl governance summary` prints: the live view, the archives,
    and the totals per table (registry order)."""
    live, archived = summary(conn), archive_summary(conn)
    tables = [r[0] for r in conn.execute("SELECT table_name FROM shq.governed_error_tables ORDER BY display_order")]
    return {"live": live, "archive": archived, "totals": totals(live, archived, tables, dispositions(conn))}


def blocking(conn: psycopg.Connection, limit: int = 50) -> list[dict]:
    return _rows(conn, "SELECT * FROM shq.vw_blocking_errors_by_outreach"
                       " ORDER BY max_escalation_level DESC, oldest_blocking_at, outreach_id, table_name"
                       " LIMIT %s", (limit,))


# ------------------------------------------------------------------ pg_cron
def cron_state(conn: psycopg.Connection) -> str:
    """'OK', or PG_CRON_NOT_LOADED / PG_CRON_OTHER_DATABASE /
    PG_CRON_NOT_INSTALLED / PG_CRON_NO_ACCESS."""
    return conn.execute("SELECT shq._pg_cron_state()").fetchone()[0]


def schedule(conn: psycopg.Connection, echo: Callable[[str], None] | None = None) -> list[dict]:
    """Register the governance jobs with pg_cron (idempotent by name).

    Creates the pg_cron extension first when this is cron.database_name and
    it is missing (needs a superuser). Without pg_cron: PyctlError saying
    what is missing and how to enable it."""
    echo = echo or (lambda _m: None)
    if cron_state(conn) == "PG_CRON_NOT_INSTALLED":
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS pg_cron")
            echo("schedule: created extension pg_cron")
        except psycopg.Error as e:
            db = conn.info.dbname
            raise PyctlError(f"pg_cron is missing in database {db} and could not be created: "
                             f"{format_db_error(e)} | hint: a superuser runs CREATE EXTENSION pg_cron in {db}") from None
    try:
        with conn.transaction():
            return _rows(conn, "SELECT * FROM shq.fn_schedule_governance_jobs()")
    except psycopg.Error as e:
        if e.sqlstate in PG_CRON_MISSING_CODES:
            raise PyctlError(f"cannot schedule the governance jobs: {format_db_error(e)}") from None
        raise


def scheduled_as_defined(conn: psycopg.Connection) -> bool:
    """Is every job of shq._governance_job_specs() registered in pg_cron, by
    this role, for this database, with its schedule and command? (False
    whenever pg_cron cannot be read here.)"""
    if cron_state(conn) != "OK":
        return False
    with conn.transaction():
        missing = conn.execute(
            "SELECT count(*) FROM shq._governance_job_specs() s"
            " WHERE NOT EXISTS (SELECT 1 FROM cron.job j WHERE j.jobname = s.job_name AND j.username = current_user"
            "                      AND j.schedule = s.schedule AND j.command = s.command"
            "                      AND j.database = current_database() AND j.active)").fetchone()[0]
    return missing == 0


def job_health(conn: psycopg.Connection) -> list[dict]:
    """shq.vw_governance_job_health (works with or without pg_cron)."""
    return _rows(conn, "SELECT * FROM shq.vw_governance_job_health ORDER BY job_name")


def job_health_lines(conn: psycopg.Connection) -> list[str]:
    """The job health as report lines (for `pyctl schedule --status` and `pyctl state`)."""
    rows = job_health(conn)
    # (the last success and failure times are in `--format json` and the state report)
    table = table_lines(rows, ["job_name", "schedule", "status", "last_run_at", "failures", "overdue"],
                        headers=["job", "schedule", "status", "last run", "failures", "overdue"])
    states = {r["status"] for r in rows if str(r["status"]).startswith("PG_CRON_")}
    if states:
        table.append(f"pg_cron: {', '.join(sorted(states))} - see `pyctl schedule` for how to enable it")
    return table


# ------------------------------------------------------------------ rendering
def run_lines(rows: Sequence[dict]) -> list[str]:
    """The rows of run_jobs as a table plus one totals line."""
    lines = table_lines(rows, ["job", "table_name", "affected"])
    totals = {j: sum(r["affected"] for r in rows if r["job"] == j) for j in JOBS}
    lines.append("totals: " + ", ".join(f"{j} {n}" for j, n in totals.items()))
    return lines
