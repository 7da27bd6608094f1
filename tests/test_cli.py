"""The command line itself: help, --dsn wherever it stands, the embedded
cluster (`pyctl db`), bench."""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

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
    """(path, command) of every command that does something (a group that
    runs without a subcommand, like `bench`, included)."""
    if isinstance(command, click.Group):
        if command.invoke_without_command and path:
            yield path, command
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
    ("campaign", "run"): ["C"],
    ("outbox", "tail"): ["cl"],
    ("soak",): ["--clients", "1", "--seconds", "1"],
}
CAMPAIGN_FILE = {"campaign_id": "C", "name": "c", "channel": "EMAIL", "steps": [{"template_id": "t", "delay_days": 0}]}
#: commands that never open a database (they take --dsn, like every command, and ignore it)
NO_DATABASE = {("bench", "report"): "renders JSON files"}
DATABASE_COMMANDS = [path for path, _cmd in leaf_commands() if path[0] != "db" and path not in NO_DATABASE]


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
    """A temporary project home under /tmp (reachable by the postgres user):
    it holds the project's marker, db/manifest.txt, and a subdirectory."""
    d = tempfile.mkdtemp(prefix="pyctl-cwd-", dir="/tmp")
    (Path(d) / "db").mkdir()
    (Path(d) / "db" / "manifest.txt").write_text("# the marker of a project home\n")
    (Path(d) / "docs" / "deep").mkdir(parents=True)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _data_base(project: str) -> str | None:
    try:
        return json.loads(open(f"{project}/.pyctl/cluster.json").read())["data_dir"].rsplit("/", 1)[0]
    except OSError:
        return None


def test_embedded_cluster_start_status_url_stop_destroy(run_pyctl, project_cwd):
    url, sub, outside = None, f"{project_cwd}/docs/deep", tempfile.mkdtemp(prefix="pyctl-outside-", dir="/tmp")
    try:
        p = run_pyctl(["db", "start"], cwd=project_cwd, timeout=120)
        assert p.returncode == 0, output(p)
        state = json.loads(open(f"{project_cwd}/.pyctl/cluster.json").read())
        assert {"data_dir", "port", "pid"} <= set(state)

        p = run_pyctl(["db", "start"], cwd=sub, timeout=60)  # idempotent, and found from a subdirectory
        assert p.returncode == 0 and "already running" in p.stdout, output(p)
        assert not Path(sub, ".pyctl").exists(), "no second cluster in the subdirectory"

        p = run_pyctl(["db", "url"], cwd=project_cwd)
        assert p.returncode == 0, output(p)
        url = p.stdout.strip()
        assert url == f"postgresql://postgres@127.0.0.1:{state['port']}/outreach"
        with psycopg.connect(url) as c:
            assert c.execute("SELECT current_database()").fetchone()[0] == "outreach"
            # text compares as bytes (C), classifies as Unicode (C.UTF-8), and
            # sorts in code point order, as under C.UTF-8 (docs/development.md)
            assert c.execute("SELECT datcollate, datctype, pg_encoding_to_char(encoding) FROM pg_database"
                             " WHERE datname = current_database()").fetchone() == ("C", "C.UTF-8", "UTF8")
            words = ["b", "B", "a", "é", "Z", "ä", "z", "ÿ", "Ā", "a b", "ab", "中"]
            got = c.execute("SELECT array_agg(w ORDER BY w) FROM unnest(%s::text[]) AS w", (words,)).fetchone()[0]
            assert got == sorted(words)
            assert c.execute("SELECT upper('é'), 'ä' ~ '^[[:alpha:]]$', E'\\u2003' ~ '\\s'").fetchone() == ("É", True, True)
        for cwd, env in ((sub, None), (outside, {"PYCTL_HOME": project_cwd})):
            p = run_pyctl(["db", "url"], cwd=cwd, env=env)
            assert (p.returncode, p.stdout.strip()) == (0, url), output(p)

        # outside any checkout, without PYCTL_HOME: a refusal, not a new cluster
        p = run_pyctl(["db", "start"], cwd=outside, timeout=60)
        assert p.returncode == 1 and "no project here" in p.stderr and "PYCTL_HOME" in p.stderr, output(p)
        assert not Path(outside, ".pyctl").exists()
        p = run_pyctl(["state"], cwd=outside)
        assert p.returncode == 1 and "no project here" in p.stderr and "Traceback" not in output(p), output(p)

        p = run_pyctl(["db", "status"], cwd=sub)
        assert p.returncode == 0 and "running" in p.stdout and url in p.stdout and project_cwd in p.stdout, output(p)

        # with no --dsn and no DATABASE_URL, commands use the embedded cluster, from any subdirectory
        p = run_pyctl(["migrate", "--status"], cwd=sub, timeout=120)
        assert p.returncode == 0, output(p)
    finally:
        p = run_pyctl(["db", "stop"], cwd=project_cwd, timeout=120)
        shutil.rmtree(outside, ignore_errors=True)
    assert p.returncode == 0, output(p)
    p = run_pyctl(["db", "status"], cwd=project_cwd)
    assert p.returncode == 3 and "stopped" in p.stdout, output(p)
    p = run_pyctl(["db", "url"], cwd=project_cwd)
    assert p.returncode == 3 and p.stdout == "", output(p)
    assert "not running" in p.stderr and "pyctl db start" in p.stderr and url in p.stderr, output(p)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=3).close()

    base = _data_base(project_cwd)
    p = run_pyctl(["db", "destroy", "--yes"], cwd=sub, timeout=60)
    assert p.returncode == 0 and "destroyed" in p.stdout, output(p)
    assert not Path(project_cwd, ".pyctl").exists() and not Path(base, "data").exists()
    p = run_pyctl(["db", "url"], cwd=project_cwd)
    assert p.returncode == 1 and "never been started" in p.stderr, output(p)
    if base and base.startswith("/tmp/pyctl-"):
        shutil.rmtree(base, ignore_errors=True)


def test_bench_migrate_runs_and_reports(run_pyctl, server_dsn, tmp_path):
    path = tmp_path / "bench.json"
    p = run_pyctl(["bench", "--only", "migrate", "--json", path, "--dsn", server_dsn()], timeout=300)
    assert p.returncode == 0, output(p)
    report = json.loads(path.read_text())
    (res,) = report["results"]
    assert res["name"] == "migrate" and res["ok"] and res["unit"] == "s"
    assert "migrate" in p.stdout and "budget" in p.stdout
