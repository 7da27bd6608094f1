"""Error governance benchmark (docs/benchmarks.md): shq.fn_archive_expired_errors() over
1M expired rows against the single-statement floor, measured in the same run,
while a probe keeps writing to the same table to show that no lock anyone
needs is held over 1 s."""
from __future__ import annotations

import threading
import time

from psycopg import sql

from pyctl.bench import benchmark, ratio
from pyctl.seed import expired_errors

ARCHIVE_MAX_RATIO = 2.0
MAX_LOCK_WAIT_S = 1.0

#: the figure's table and the floor's: same shape, same indexes, same rows
FIGURE_TABLE = "outreach.dol_errors"
FLOOR_TABLE = "people.people_errors"

#: the floor: one statement, the same predicate; the TTLs and the retention
#: are read once (init plans) from where the rules live
FLOOR = """
WITH d AS (
    DELETE FROM {table} AS c
     WHERE c.disposition <> 'PARKED'
       AND c.created_at < now() - CASE c.ttl_tier WHEN 'SHORT' THEN (SELECT shq.fn_get_ttl_interval('SHORT'))
                                                  WHEN 'MEDIUM' THEN (SELECT shq.fn_get_ttl_interval('MEDIUM'))
                                                  WHEN 'LONG' THEN (SELECT shq.fn_get_ttl_interval('LONG')) END
    RETURNING c.*)
INSERT INTO {archive} ({cols}, disposition, archived_at, archived_by, archive_reason, final_disposition,
                       retention_expires_at)
SELECT {cols}, 'ARCHIVED', now(), 'bench floor', 'TTL_EXPIRED', d.disposition,
       now() + (SELECT g.retention FROM shq.governed_error_tables g WHERE g.table_name = {table_name})
  FROM d
"""


def _table(name: str) -> sql.Identifier:
    return sql.Identifier(*name.split("."))


class Probe:
    """While the job runs: every 20 ms, record an error in the job's table and
    update a live row of it (each its own transaction), and note the longest
    wait; a second connection watches pg_locks for anyone waiting on a lock."""

    def __init__(self, ctx, table: str, live_id: int):
        self.ctx, self.table, self.live_id = ctx, table, live_id
        self.stop = threading.Event()
        self.max_op_s = 0.0
        self.ops = 0
        self.max_lock_wait_s = 0.0
        self.errors: list[str] = []
        self.threads = [threading.Thread(target=self._write, daemon=True),
                        threading.Thread(target=self._watch, daemon=True)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def _write(self):
        try:
            conn = self.ctx.connect()
            while not self.stop.is_set():
                t0 = time.perf_counter()
                conn.execute("SELECT shq.fn_record_error(%s, NULL, 'BENCH_PROBE', 'probe')", (self.table,))
                conn.execute(sql.SQL("UPDATE {} SET error_message = 'probe' WHERE error_id = %s").format(
                    _table(self.table)), (self.live_id,))
                self.max_op_s = max(self.max_op_s, time.perf_counter() - t0)
                self.ops += 1
                time.sleep(0.02)
        except Exception as e:  # noqa: BLE001 - reported in the result
            self.errors.append(f"probe: {e}")

    def _watch(self):
        try:
            conn = self.ctx.connect()
            while not self.stop.is_set():
                waited = conn.execute(
                    "SELECT coalesce(max(extract(epoch FROM now() - a.state_change)), 0)::float8"
                    "  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
                    " WHERE NOT l.granted AND a.datname = current_database()").fetchone()[0]
                self.max_lock_wait_s = max(self.max_lock_wait_s, waited)
                time.sleep(0.05)
        except Exception as e:  # noqa: BLE001
            self.errors.append(f"lock watcher: {e}")


@benchmark("archive", f"≤ {ARCHIVE_MAX_RATIO:g} × floor, no lock wait > {MAX_LOCK_WAIT_S:g} s")
def bench_archive(ctx):
    """shq.fn_archive_expired_errors() over 1M expired rows (100k with --quick)
    vs. one `WITH d AS (DELETE ... RETURNING) INSERT` statement on an identical
    table, same run; a probe writes to the archived table throughout."""
    expired = 100_000 if ctx.quick else 1_000_000
    kept = expired // 50
    with ctx.connect() as conn:
        for table in (FIGURE_TABLE, FLOOR_TABLE):
            expired_errors(conn, table, expired, kept)
    ctx.execute("VACUUM ANALYZE")
    archive = ctx.execute("SELECT archive_table FROM shq.governed_error_tables WHERE table_name = %s",
                          (FLOOR_TABLE,))[0][0]
    cols = ctx.execute("SELECT shq._archive_copy_columns(%s, %s)", (FLOOR_TABLE, archive))[0][0]
    floor = sql.SQL(FLOOR).format(table=_table(FLOOR_TABLE), archive=_table(archive), cols=sql.SQL(cols),
                                  table_name=sql.Literal(FLOOR_TABLE))

    ctx.execute("CHECKPOINT")
    floor_s = ctx.timed(lambda: ctx.execute(floor))
    floor_moved = ctx.execute(sql.SQL("SELECT count(*) FROM {}").format(_table(archive)))[0][0]

    ctx.execute("CHECKPOINT")
    live_id = ctx.execute(sql.SQL("SELECT error_id FROM {} WHERE created_at > now() - interval '2 days' LIMIT 1")
                          .format(_table(FIGURE_TABLE)))[0][0]
    result: dict = {}
    with Probe(ctx, FIGURE_TABLE, live_id) as probe:
        time.sleep(0.2)
        figure_s = ctx.timed(lambda: result.update(ctx.execute("SELECT * FROM shq.fn_archive_expired_errors()")))
    moved = result.get(FIGURE_TABLE, 0)
    left = ctx.execute(sql.SQL("SELECT count(*) FROM {} WHERE failure_code <> 'BENCH_PROBE'")
                       .format(_table(FIGURE_TABLE)))[0][0]

    r = ratio(figure_s, floor_s)
    worst_wait = max(probe.max_op_s, probe.max_lock_wait_s)
    problems = list(probe.errors)
    if moved != expired or floor_moved != expired:
        problems.append(f"moved {moved} (floor {floor_moved}), expected {expired}")
    if left != 3 * kept:
        problems.append(f"{left} rows left in {FIGURE_TABLE}, expected the {3 * kept} kept ones")
    note = (f"{moved:,} rows in {figure_s:.1f}s (floor {floor_s:.1f}s); probe: {probe.ops} writes during the run, "
            f"slowest {probe.max_op_s * 1000:.0f} ms; longest lock wait seen {probe.max_lock_wait_s * 1000:.0f} ms")
    if problems:
        note = "error: " + "; ".join(problems) + " | " + note
    return dict(figure=figure_s, floor=floor_s, ratio=r, unit="s",
                ok=not problems and r is not None and r <= ARCHIVE_MAX_RATIO and worst_wait <= MAX_LOCK_WAIT_S,
                note=note, probe_max_op_ms=round(probe.max_op_s * 1000), probe_ops=probe.ops,
                max_lock_wait_ms=round(probe.max_lock_wait_s * 1000), rows=moved)
