"""The command line itself: help, the embedded cluster (`pyctl db`), bench."""
from __future__ import annotations

import json
import re
import shutil
import tempfile

import psycopg
import pytest

from helpers import output

COMMANDS = ("db", "migrate", "verify", "seed", "state", "smoke", "override", "gate", "governance",
            "schedule", "bench")


def test_help_lists_the_commands(run_pyctl):
    p = run_pyctl(["--help"])
    assert p.returncode == 0, output(p)
    for cmd in COMMANDS:
        assert re.search(rf"^\s+{cmd}\b", p.stdout, re.M), cmd


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_has_help(run_pyctl, cmd):
    p = run_pyctl([cmd, "--help"])
    assert p.returncode == 0, output(p)


@pytest.mark.parametrize("cmd", ["migrate", "verify", "bench"])
def test_command_takes_dsn(run_pyctl, cmd):
    p = run_pyctl([cmd, "--help"])
    assert "--dsn" in p.stdout


@pytest.fixture
def project_cwd():
    """A temporary working directory under /tmp (reachable by the postgres user)."""
    d = tempfile.mkdtemp(prefix="pyctl-cwd-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_embedded_cluster_start_status_url_stop(run_pyctl, project_cwd):
    url = None
    try:
        p = run_pyctl(["db", "start"], cwd=project_cwd, timeout=120)
        assert p.returncode == 0, output(p)
        state = json.loads(open(f"{project_cwd}/.pyctl/cluster.json").read())
        assert {"data_dir", "port", "pid"} <= set(state)

        p = run_pyctl(["db", "start"], cwd=project_cwd, timeout=60)  # idempotent
        assert p.returncode == 0 and "already running" in p.stdout, output(p)

        p = run_pyctl(["db", "url"], cwd=project_cwd)
        assert p.returncode == 0, output(p)
        url = p.stdout.strip()
        assert url == f"postgresql://postgres@127.0.0.1:{state['port']}/outreach"
        with psycopg.connect(url) as c:
            assert c.execute("SELECT current_database()").fetchone()[0] == "outreach"

        p = run_pyctl(["db", "status"], cwd=project_cwd)
        assert p.returncode == 0 and "running" in p.stdout and url in p.stdout, output(p)

        # with no --dsn and no DATABASE_URL, commands use the embedded cluster
        p = run_pyctl(["migrate", "--status"], cwd=project_cwd, timeout=120)
        assert p.returncode == 0, output(p)
    finally:
        p = run_pyctl(["db", "stop"], cwd=project_cwd, timeout=120)
    assert p.returncode == 0, output(p)
    p = run_pyctl(["db", "status"], cwd=project_cwd)
    assert p.returncode != 0 and "stopped" in p.stdout, output(p)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=3).close()
    data_dir = json.loads(open(f"{project_cwd}/.pyctl/cluster.json").read())["data_dir"]
    if data_dir.startswith("/tmp/pyctl-"):
        shutil.rmtree(data_dir.rsplit("/", 1)[0], ignore_errors=True)


def test_bench_migrate_runs_and_reports(run_pyctl, server_dsn, tmp_path):
    path = tmp_path / "bench.json"
    p = run_pyctl(["bench", "--only", "migrate", "--json", path, "--dsn", server_dsn()], timeout=300)
    assert p.returncode == 0, output(p)
    report = json.loads(path.read_text())
    (res,) = report["results"]
    assert res["name"] == "migrate" and res["ok"] and res["unit"] == "s"
    assert "migrate" in p.stdout and "budget" in p.stdout
