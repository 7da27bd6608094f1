"""The command line itself: help, --dsn wherever it stands, the embedded
cluster (`pyctl db`), bench."""
from __future__ import annotations

import json
import re
import shutil
import tempfile

import click
import psycopg
import pytest

from helpers import closed_port, output
from pyctl import dsn as dsn_module
from pyctl.cli import cli
from pyctl.errors import PyctlError

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


# ------------------------------------------------------------------ --dsn
def leaf_commands(command: click.Command = cli, path: tuple[str, ...] = ()):
    """(path, command) of every command that does something."""
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from leaf_commands(sub, path + (name,))
    else:
        yield path, command


#: the arguments a command needs before it gets to its database
ARGS = {
    ("seed",): ["--companies", "1"],
    ("override", "set"): ["ACME-1", "BLOCK_EMAIL", "--reason", "r", "--actor", "a"],
    ("override", "remove"): ["ACME-1", "BLOCK_EMAIL", "--reason", "r", "--actor", "a"],
    ("gate", "check"): ["ACME-1", "--campaign", "C"],
    ("governance", "archive-error"): ["outreach.dol_errors", "1", "--reason", "r", "--actor", "a"],
    ("governance", "resolve"): ["outreach.dol_errors", "1", "--reason", "r", "--actor", "a"],
    ("governance", "unpark"): ["outreach.dol_errors", "1", "--reason", "r", "--actor", "a"],
    ("bit", "explain"): ["ACME-1"],
    ("campaign", "plan"): ["C"],
    ("campaign", "create"): ["campaign.json"],
    ("soak",): ["--clients", "1", "--seconds", "1"],
}
CAMPAIGN_FILE = {"campaign_id": "C", "name": "c", "channel": "EMAIL", "steps": [{"template_id": "t", "delay_days": 0}]}
DATABASE_COMMANDS = [path for path, _cmd in leaf_commands() if path[0] != "db"]


class Reached(Exception):
    """Raised instead of connecting: carries the --dsn the command got."""


@pytest.fixture
def reached(monkeypatch, tmp_path):
    """In-process runs stop where the command resolves its database."""
    def stop_here(dsn=None, *, start=True):
        raise Reached(dsn)

    monkeypatch.setattr(dsn_module, "resolve_dsn", stop_here)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "campaign.json").write_text(json.dumps(CAMPAIGN_FILE))


def dsn_reaching(argv: list[str]) -> str | None:
    with pytest.raises(Reached) as e:
        cli.main(argv, prog_name="pyctl", standalone_mode=False)
    return e.value.args[0]


@pytest.mark.parametrize("path", DATABASE_COMMANDS, ids=" ".join)
def test_every_command_takes_dsn_before_or_after_the_subcommand(reached, path):
    args = [*path, *ARGS.get(path, [])]
    assert dsn_reaching(["--dsn", "postgresql:///before", *args]) == "postgresql:///before"
    assert dsn_reaching([*args, "--dsn", "postgresql:///after"]) == "postgresql:///after"
    if len(path) > 1:  # and between a group and its subcommand
        assert dsn_reaching([path[0], "--dsn", "postgresql:///between", *args[1:]]) == "postgresql:///between"
    assert dsn_reaching(args) is None, "without --dsn the command leaves it to DATABASE_URL"


def test_the_last_dsn_given_wins(reached):
    assert dsn_reaching(["--dsn", "postgresql:///a", "state", "--dsn", "postgresql:///b"]) == "postgresql:///b"


@pytest.mark.parametrize("sub", ["status", "url", "start", "stop"])
def test_db_accepts_and_ignores_dsn(reached, sub):
    cmd = cli.commands["db"].commands[sub]
    dsn = [p for p in cmd.params if p.name == "dsn"]
    assert dsn and dsn[0].hidden, "accepted, not advertised"
    if sub in ("status", "url"):  # (start and stop would act on a cluster)
        for argv in (["--dsn", "postgresql:///x", "db", sub], ["db", sub, "--dsn", "postgresql:///x"]):
            try:  # no cluster here: `status` exits 3, `url` says so
                cli.main(argv, prog_name="pyctl", standalone_mode=False)
            except (Reached, click.UsageError) as e:
                pytest.fail(f"{argv}: {e!r}")
            except (SystemExit, PyctlError):
                pass


def test_help_says_where_dsn_goes(run_pyctl):
    p = run_pyctl(["--help"])
    text = " ".join(p.stdout.split())
    assert "--dsn URL" in text and "before or after the subcommand" in text and "DATABASE_URL" in text
    p = run_pyctl(["governance", "run", "--help"])
    assert "--dsn URL" in p.stdout


def test_dsn_before_and_after_end_to_end(run_pyctl, dsn):
    """Through the installed CLI, DATABASE_URL pointing nowhere: --dsn wins
    in either position; without it, DATABASE_URL is used."""
    nowhere = f"postgresql://postgres@127.0.0.1:{closed_port()}/nowhere"
    for argv in (["--dsn", dsn, "state"], ["state", "--dsn", dsn]):
        p = run_pyctl(argv, dsn=nowhere)
        assert p.returncode == 0 and p.stdout.startswith("LIVE SYSTEM STATE"), output(p)
    p = run_pyctl(["state"], dsn=dsn)
    assert p.returncode == 0 and p.stdout.startswith("LIVE SYSTEM STATE"), output(p)
    p = run_pyctl(["state"], dsn=nowhere)
    assert p.returncode == 1 and "cannot connect" in p.stderr and "Traceback" not in output(p), output(p)


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
