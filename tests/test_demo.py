"""`make demo` end to end, twice, on an embedded cluster of its own
(PYCTL_HOME names a fresh project home): the second run adds nothing and
shows the same state; `make clean` deletes the cluster."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from helpers import REPO_ROOT, output, pyctl_executable

#: small, so that the test stays quick; the demo itself seeds 10,000
COMPANIES = 300
#: figures that move with the clock, not with the data
VOLATILE = ("generated_at", "age_seconds", "job_health")


def _env(home: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PG", "MAKE")) and k not in ("DATABASE_URL", "MFLAGS")}
    env["PYCTL_HOME"] = home
    return env


def _make(target: str, home: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(REPO_ROOT), target, f"COMPANIES={COMPANIES}"], env=_env(home),
                          capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)


def _stable(doc):
    """The state document without the figures that move with the clock."""
    if isinstance(doc, dict):
        return {k: _stable(v) for k, v in doc.items() if not any(word in k for word in VOLATILE)}
    if isinstance(doc, list):
        return [_stable(v) for v in doc]
    return doc


def _json(home: str, *args: str) -> dict:
    p = subprocess.run([pyctl_executable(), *args, "--format", "json"], env=_env(home), capture_output=True,
                       text=True, timeout=300, cwd="/")
    assert p.returncode == 0, output(p)
    return json.loads(p.stdout)


def _state(home: str) -> dict:
    return _json(home, "state")


@pytest.fixture
def home():
    """A project home under /tmp (the postgres user reaches it); its cluster is deleted afterwards."""
    d = tempfile.mkdtemp(prefix="pyctl-demo-", dir="/tmp")
    yield d
    subprocess.run([pyctl_executable(), "db", "destroy", "--yes"], env=_env(d), capture_output=True, timeout=120)
    shutil.rmtree(d, ignore_errors=True)


def test_make_demo_twice_shows_the_same_state(home):
    first = _make("demo", home)
    assert first.returncode == 0, output(first)[-4000:]
    assert "LIVE SYSTEM STATE" in first.stdout and f"seeded {COMPANIES:,} companies" in first.stdout
    state = _state(home)
    assert state["companies"]["total"] == COMPANIES, state["companies"]
    # the state's job health is schedule --status's: the same jobs, none failed. Jobs just registered have not
    # run yet, but pg_cron may start one (the metrics snapshot runs every five minutes) between the two reads.
    jobs = {r["job_name"]: r["status"] for r in state["job_health"]["rows"]}
    scheduled = {r["job_name"]: r["status"] for r in _json(home, "schedule", "--status")["health"]}
    started = {"NEVER_RUN", "STARTING", "RUNNING", "SUCCEEDED"}
    assert jobs.keys() == scheduled.keys() and set(jobs.values()) | set(scheduled.values()) <= started, \
        (jobs, scheduled)

    second = _make("demo", home)
    assert second.returncode == 0, output(second)[-4000:]
    assert f"already seeded: {COMPANIES:,} companies" in second.stdout, second.stdout
    assert "initdb" not in second.stdout and "already running" in second.stdout
    again = _state(home)
    assert _stable(again) == _stable(state), "a second make demo changed the state"

    # make demo-fresh: a new cluster, so what was changed by hand is gone, and the same demo data
    subprocess.run([pyctl_executable(), "override", "set", "S42-00000001", "BLOCK_OUTREACH", "--reason", "test",
                    "--actor", "test"], env=_env(home), check=True, capture_output=True, timeout=120, cwd="/")
    fresh = _make("demo-fresh", home)
    assert fresh.returncode == 0, output(fresh)[-4000:]
    assert "destroyed" in fresh.stdout and f"seeded {COMPANIES:,} companies" in fresh.stdout, fresh.stdout
    rebuilt = _state(home)
    # the data, not what moves with the clock (seed times are relative to now)
    for key in ("companies", "overrides", "row_counts", "tier_distribution", "completion", "campaigns"):
        assert rebuilt[key] == state[key], f"make demo-fresh rebuilt a different {key}"

    cluster = json.loads((Path(home) / ".pyctl" / "cluster.json").read_text())
    clean = _make("clean", home)
    assert clean.returncode == 0 and "destroyed" in clean.stdout, output(clean)
    assert not Path(cluster["data_dir"]).exists() and not (Path(home) / ".pyctl").exists()
