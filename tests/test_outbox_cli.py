"""`pyctl outbox status` and `pyctl outbox tail` (docs/consuming-events.md)."""
from __future__ import annotations

import json
import os
import subprocess
import time

from campaign_support import override
from helpers import REPO_ROOT, error_lines, make_company, output, pyctl_executable
from outbox_support import ack, claim, drain


def test_status_shows_backlog_in_flight_and_destinations_without_consumers(conn, dsn, run_pyctl):
    cid = make_company(conn, tier=2, prefix="OBCLI-ST")
    got_first = claim(conn, "cli-cl", "cl", limit=1)
    p = run_pyctl(["outbox", "status"], dsn=dsn)
    assert p.returncode == 0, output(p)
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["destination", "consumer", "backlog", "in_flight", "parked", "oldest_unacked",
                                "last_claim"]
    cl = next(line.split() for line in lines if "cli-cl" in line)
    total = conn.execute("SELECT count(*) FROM outreach.outbox_events WHERE destination = 'cl'").fetchone()[0]
    assert cl[:5] == ["cl", "cli-cl", str(total), "1", "0"]
    assert any(line.split()[:2] == ["sender", "(no"] for line in lines)
    p = run_pyctl(["outbox", "status", "--format", "json"], dsn=dsn)
    rows = json.loads(p.stdout)["consumers"]
    mine = next(r for r in rows if r["consumer"] == "cli-cl")
    assert (mine["backlog"], mine["in_flight"], mine["parked"]) == (total, 1, 0) and mine["oldest_unacked_at"]
    ack(conn, "cli-cl", [e[0] for e in got_first])
    drain(conn, "cli-cl", "cl")
    override(conn, cid, "FORCE_TIER", 1)
    rows = json.loads(run_pyctl(["outbox", "status", "--format", "json"], dsn=dsn).stdout)["consumers"]
    mine = next(r for r in rows if r["consumer"] == "cli-cl")
    assert (mine["backlog"], mine["in_flight"], mine["oldest_unacked_at"]) == (1, 0, mine["oldest_unacked_at"])


def test_tail_prints_each_new_event_once_as_it_commits(conn, dsn, run_pyctl):
    old = make_company(conn, tier=1, prefix="OBCLI-OLD")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["DATABASE_URL"] = dsn
    tail = subprocess.Popen([pyctl_executable(), "outbox", "tail", "cl", "--count", "2", "--timeout", "60",
                             "--format", "json"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pyctl outbox tail'"
                               " AND state = 'idle' AND query LIKE '%%jsonb_agg%%'").fetchone()[0]:
            assert time.monotonic() < deadline and tail.poll() is None, tail.stderr.read() if tail.poll() else ""
            time.sleep(0.1)
        new = make_company(conn, tier=1, prefix="OBCLI-NEW")   # two TIER_CHANGED events
        out, err = tail.communicate(timeout=60)
    finally:
        if tail.poll() is None:
            tail.kill()
            tail.wait()
    assert tail.returncode == 0, err
    got = [json.loads(line) for line in out.splitlines()]
    assert [(e["company_unique_id"], e["event_type"]) for e in got] == [(new, "TIER_CHANGED")] * 2
    assert old not in out
    p = run_pyctl(["outbox", "tail", "cl", "--from-start", "--timeout", "0.5"], dsn=dsn)
    assert p.returncode == 0 and old in p.stdout and new in p.stdout


def test_tail_of_an_unknown_destination_is_one_line(dsn, run_pyctl):
    p = run_pyctl(["outbox", "tail", "crm", "--timeout", "0"], dsn=dsn)
    assert p.returncode == 1
    assert error_lines(p) == ["pyctl: unknown outbox destination 'crm': use one of analytics, cl, sender"]
