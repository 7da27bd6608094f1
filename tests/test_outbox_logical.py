"""The outbox through logical decoding (docs/consuming-events.md): a cluster
of its own with wal_level = logical, the real pg_recvlogical and Debian's
wal2json plugin streaming a logical slot. Every committed event arrives once,
with the row shape Debezium's outbox event router reads; a rolled back one
never does. The test drops its slot and stops exactly what it started."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from campaign_support import create_campaign, override, step_id
from helpers import make_company, new_id
from outbox_support import engage, send

SLOT = "outbox_test"


def recvlogical() -> str:
    exe = shutil.which("pg_recvlogical") or "/usr/lib/postgresql/15/bin/pg_recvlogical"
    if not Path(exe).exists():
        pytest.fail("pg_recvlogical is not installed (Debian: postgresql-client-15)", pytrace=False)
    if not Path("/usr/lib/postgresql/15/lib/wal2json.so").exists():
        pytest.fail("wal2json is not installed (Makefile APT_PACKAGES: postgresql-15-wal2json)", pytrace=False)
    return exe


@pytest.fixture(scope="module")
def logical_db():
    """A migrated database on a throwaway cluster with wal_level = logical."""
    from ops_support import Cluster
    from pyctl.migrate import migrate

    cluster = Cluster(wal_level="logical", max_replication_slots="4", max_wal_senders="4")
    try:
        cluster.execute("CREATE DATABASE outbox")
        migrate(cluster.url("outbox"))
        yield cluster.url("outbox")
    finally:
        cluster.stop()


def inserts(path: Path) -> list[dict]:
    """The outbox rows wal2json (format 2) wrote so far, as {column: value}."""
    rows = []
    for line in path.read_text().splitlines():
        change = json.loads(line)
        if change.get("action") == "I" and change.get("table") == "outbox_events":
            rows.append({c["name"]: c["value"] for c in change["columns"]})
    return rows


def test_every_committed_event_streams_once_in_the_debezium_shape(logical_db, tmp_path):
    exe = recvlogical()
    out = tmp_path / "changes.jsonl"
    subprocess.run([exe, "--dbname", logical_db, "--slot", SLOT, "--create-slot", "--plugin", "wal2json"],
                   check=True, capture_output=True, timeout=60)
    stream = subprocess.Popen([exe, "--dbname", logical_db, "--slot", SLOT, "--start", "--no-loop",
                               "--option", "format-version=2", "--option", "add-tables=outreach.outbox_events",
                               "--fsync-interval", "1", "--file", str(out)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        with psycopg.connect(logical_db, autocommit=True) as conn:
            assert conn.execute("SELECT schemaname || '.' || tablename FROM pg_publication_tables"
                                " WHERE pubname = 'outreach_outbox'").fetchall() == [("outreach.outbox_events",)]
            ids = [make_company(conn, tier=1, prefix="OBL") for _ in range(3)]
            camp = create_campaign(conn, new_id("OBL-CMP"))
            engage(conn, send(conn, ids[0], camp, step_id(conn, camp, 1)), "REPLY")
            with pytest.raises(RuntimeError):          # rolled back: its events never stream
                with conn.transaction():
                    override(conn, ids[1], "FORCE_TIER", 0)
                    raise RuntimeError("roll back")
            with psycopg.connect(logical_db) as slow:   # commits after a later id did
                override(slow, ids[2], "FORCE_TIER", 0)
                override(conn, ids[1], "FORCE_TIER", 0)
                slow.commit()
            committed = {r[0] for r in conn.execute("SELECT event_id FROM outreach.outbox_events")}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if out.exists() and {r["event_id"] for r in inserts(out)} >= committed:
                break
            assert stream.poll() is None, stream.stderr.read().decode()
            time.sleep(0.2)
    finally:
        stream.send_signal(signal.SIGINT)
        try:
            stream.wait(10)
        except subprocess.TimeoutExpired:
            stream.kill()
            stream.wait(5)
        subprocess.run([exe, "--dbname", logical_db, "--slot", SLOT, "--drop-slot"], capture_output=True, timeout=60)

    rows = inserts(out)
    streamed = [r["event_id"] for r in rows]
    assert sorted(streamed) == sorted(committed) and len(streamed) == len(set(streamed))
    types = {(r["destination"], r["event_type"]) for r in rows}
    assert {("cl", "TIER_CHANGED"), ("cl", "REPLIED"), ("analytics", "SEND"), ("analytics", "REPLY"),
            ("sender", "SEND_REQUESTED")} <= types
    for r in rows:   # id, aggregate type (the route), aggregate id (the key), type, payload
        assert r["event_id"] and r["destination"] in ("cl", "sender", "analytics")
        assert r["company_unique_id"] and r["event_type"]
        assert isinstance(json.loads(r["payload"]), dict)
    with psycopg.connect(logical_db, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM pg_replication_slots").fetchone()[0] == 0
