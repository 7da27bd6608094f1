"""The operator's command line without surprises, on a seeded database:
`override list` of an unknown company, `campaign list`, text tables that fit
100 columns and `--format json` on every command that prints data,
`governance summary` counting the archives, `schedule --help` listing every
job the database defines, hints in the CLI's own flags, "run `pyctl
migrate`" on an unmigrated database, and `seed --ensure`."""
from __future__ import annotations

import json

import click
import psycopg
import pytest

from helpers import error_lines, output, seeded_database
from pyctl.cli import cli
from pyctl.errors import PyctlError
from pyctl.output import WIDTH, table_lines
from test_cli import ARGS, CAMPAIGN_FILE, leaf_commands

COMPANIES = 600


@pytest.fixture(scope="module")
def seeded(admin, template_db, server_dsn, run_pyctl):
    """A clone of the migrated template with COMPANIES seeded companies."""
    with seeded_database(admin, template_db, run_pyctl, server_dsn, COMPANIES, "op") as name:
        yield server_dsn(name)


# ------------------------------------------------------------------ override list
def test_override_list_of_an_unknown_company_is_og002(seeded, run_pyctl):
    p = run_pyctl(["override", "list", "NOPE-123"], dsn=seeded)
    assert p.returncode == 1 and p.stdout == "", output(p)
    (line,) = error_lines(p)
    assert "OG002" in line and "'NOPE-123'" in line and "cl.company_identity" in line, line
    p = run_pyctl(["override", "list", "S42-00000001", "--format", "json"], dsn=seeded)
    assert p.returncode == 0 and json.loads(p.stdout) == [], "a known company without overrides: an empty list"
    p = run_pyctl(["override", "list", "S42-00000001"], dsn=seeded)
    assert p.returncode == 0 and p.stdout.strip() == "no active overrides for S42-00000001", output(p)


# ------------------------------------------------------------------ campaign list
def test_campaign_list(seeded, run_pyctl):
    with psycopg.connect(seeded) as c:
        expected = {r[0]: r[1:] for r in c.execute(
            "SELECT c.campaign_id, c.status, (SELECT count(*) FROM outreach.sequences q WHERE q.campaign_id = c.campaign_id),"
            " (SELECT count(*) FROM outreach.send_log l WHERE l.campaign_id = c.campaign_id) FROM outreach.campaigns c")}
    p = run_pyctl(["campaign", "list", "--format", "json"], dsn=seeded)
    assert p.returncode == 0, output(p)
    got = {r["campaign_id"]: (r["status"], r["steps"], r["sends"]) for r in json.loads(p.stdout)}
    assert got == expected and "SEED42-BENEFITS-RENEWAL" in got and got["SEED42-BENEFITS-RENEWAL"][2] > 0
    p = run_pyctl(["campaign", "list", "--status", "draft"], dsn=seeded)
    assert p.returncode == 0 and "SEED42-PLAN-YEAR-2027" in p.stdout and "SEED42-BENEFITS-RENEWAL" not in p.stdout
    assert p.stdout.rstrip().endswith("1 campaign(s)"), p.stdout


# ------------------------------------------------------------------ 100 columns, --format json
#: data-printing commands run on the seeded database: (arguments, JSON type)
DATA_COMMANDS = [
    (["override", "list", "--all"], list),
    (["campaign", "list"], list),
    (["campaign", "plan", "SEED42-BENEFITS-RENEWAL", "--limit", "5"], dict),
    (["governance", "summary"], dict),
    (["governance", "blocking", "--limit", "5"], list),
    (["governance", "health"], list),
    (["schedule", "--status"], dict),
    (["smoke", "--sample", "3"], dict),
    (["state"], dict),
    (["audit", "head"], dict),
    (["bit", "explain", "S42-00000004"], dict),
    (["migrate", "--status"], dict),
    (["gate", "check", "S42-00000002", "--campaign", "SEED42-EXEC-INTRO", "--dry-run"], dict),
    (["seed", "--companies", str(COMPANIES), "--ensure"], dict),
]


@pytest.mark.parametrize("args, kind", DATA_COMMANDS, ids=[" ".join(a[:2]) for a, _k in DATA_COMMANDS])
def test_text_fits_100_columns_and_json_parses(seeded, run_pyctl, args, kind):
    p = run_pyctl(args, dsn=seeded)
    assert p.returncode in (0, 3), output(p)
    wide = [ln for ln in p.stdout.splitlines() if len(ln) > WIDTH]
    assert not wide, f"{len(wide)} line(s) wider than {WIDTH}:\n" + "\n".join(wide)
    p = run_pyctl([*args, "--format", "json"], dsn=seeded)
    assert p.returncode in (0, 3), output(p)
    assert isinstance(json.loads(p.stdout), kind), p.stdout[:500]


def test_a_value_without_separators_is_never_cut():
    """A digest or an id is copied from the terminal: a table that cannot fit
    them side by side prints one block per row instead of cutting them."""
    digest = "e756d38ecab01933c3f7768d87f40727740cb427bf86b4e746b66e099ed7c58f"
    rows = [{"table_name": "outreach.send_attempt_audit", "seal_id": 4, "rows_sealed": 2,
             "sealed_at": "2026-12-06T02:38:37.321053+00:00", "digest": digest}] * 2
    lines = table_lines(rows, list(rows[0]))
    assert max(map(len, lines)) <= WIDTH, lines
    text = "\n".join(lines)
    assert text.count(digest) == 2 and text.count("outreach.send_attempt_audit") == 2, text
    # a table that fits stays a table
    assert table_lines([{"a": "x", "b": digest}], ["a", "b"])[1].startswith("-")


#: commands that print no data of their own, and why they take no --format json
NO_JSON = {
    ("db", "start"): "prints progress", ("db", "stop"): "prints progress", ("db", "destroy"): "prints progress",
    ("db", "url"): "prints one URL, for $(...)",
    ("bench", "report"): "prints the Markdown page it generates",
    ("metrics", "queries"): "prints the YAML file postgres_exporter reads",
    ("scan",): "has its own --format (text, json, sarif)",
}


@pytest.mark.parametrize("path", [p for p, _c in leaf_commands()], ids=lambda p: " ".join(p))
def test_every_command_that_prints_data_takes_format_json(path):
    command = cli
    for name in path:
        command = command.commands[name]
    if path in NO_JSON:
        return
    fmt = [p for p in command.params if "--format" in getattr(p, "opts", ())]
    assert fmt and "json" in fmt[0].type.choices, f"pyctl {' '.join(path)} has no --format json"


# ------------------------------------------------------------------ governance summary with the archives
def test_governance_summary_counts_the_archives(seeded, run_pyctl):
    def summary():
        p = run_pyctl(["governance", "summary", "--format", "json"], dsn=seeded)
        assert p.returncode == 0, output(p)
        return {r["table_name"]: r for r in json.loads(p.stdout)["totals"]}

    before = summary()
    with psycopg.connect(seeded) as c:
        tables = [r[0] for r in c.execute("SELECT table_name FROM shq.governed_error_tables")]
    assert set(before) == set(tables), "every governed table, even one without errors"
    p = run_pyctl(["governance", "run", "--format", "json"], dsn=seeded)
    assert p.returncode == 0, output(p)
    archived = {}
    for r in json.loads(p.stdout):
        if r["job"] == "archive":
            archived[r["table_name"]] = r["affected"]
    assert sum(archived.values()) > 0, "the seed leaves expired errors to archive"
    after = summary()
    for t in tables:
        assert after[t]["total"] == before[t]["total"], f"{t}: archiving is not a drop"
        assert after[t]["in_archive"] == before[t]["in_archive"] + archived.get(t, 0), t
    p = run_pyctl(["governance", "summary"], dsn=seeded)
    assert p.returncode == 0 and "in archive" in p.stdout and "total" in p.stdout, output(p)


# ------------------------------------------------------------------ schedule --help
def test_schedule_help_lists_every_job_the_database_defines(seeded, run_pyctl):
    with psycopg.connect(seeded) as c:
        jobs = {r[0]: r[1] for r in c.execute("SELECT job_name, schedule FROM shq._governance_job_specs()")}
    assert len(jobs) >= 5
    p = run_pyctl(["schedule", "--help"])
    assert p.returncode == 0, output(p)
    listed = {ln.split()[0]: " ".join(ln.split()[1:]) for ln in p.stdout.splitlines() if ln.strip().startswith("outreach-")}
    assert listed == jobs


# ------------------------------------------------------------------ hints in the CLI's words
@pytest.mark.parametrize("args, said, unsaid", [
    (["FORCE_TIER", "--reason", "r", "--actor", "a"], "--tier-cap", "p_tier_cap"),
    (["BLOCK_EMAIL", "--tier-cap", "1", "--reason", "r", "--actor", "a"], "Leave out --tier-cap", "p_tier_cap"),
    (["BLOCK_EMAIL", "--reason", " ", "--actor", "a"], "--reason must not be", "p_reason"),
    (["BLOCK_EMAIL", "--reason", "r", "--actor", " "], "--actor must not be", "p_actor"),
])
def test_hints_speak_the_cli_flags(seeded, run_pyctl, args, said, unsaid):
    p = run_pyctl(["override", "set", "S42-00000005", *args], dsn=seeded)
    assert p.returncode == 1, output(p)
    (line,) = error_lines(p)
    assert "22023" in line and said in line and unsaid not in line, line


def test_help_names_no_sql_parameter():
    """No help text tells a shell user about p_* parameters."""
    for path, command in leaf_commands():
        ctx = click.Context(command, info_name=" ".join(path))
        assert " p_" not in command.get_help(ctx), path


# ------------------------------------------------------------------ an unmigrated database
#: commands that work on an unmigrated database by design
WORKS_UNMIGRATED = {("migrate",): "it migrates", ("state",): "reports n/a and says to migrate",
                    ("bench",): "migrates its own scratch databases", ("bench", "report"): "reads files only"}


@pytest.fixture
def empty(fresh_db, monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "campaign.json").write_text(json.dumps(CAMPAIGN_FILE))
    return fresh_db("template0")


@pytest.mark.parametrize("path", [p for p, _c in leaf_commands() if p[0] != "db" and p not in WORKS_UNMIGRATED],
                         ids=lambda p: " ".join(p))
def test_an_unmigrated_database_says_run_pyctl_migrate(empty, path, capsys):
    args = [*path, *ARGS.get(path, []), "--dsn", empty]
    with pytest.raises((PyctlError, SystemExit)) as e:
        cli.main(args, prog_name="pyctl", standalone_mode=False)
    message = str(e.value)
    assert "pyctl migrate" in message, f"pyctl {' '.join(args)}: {message}"


def test_state_on_an_unmigrated_database_says_run_pyctl_migrate(fresh_db, run_pyctl):
    p = run_pyctl(["state", "--dsn", fresh_db("template0")])
    assert p.returncode == 0 and "run `pyctl migrate`" in p.stdout, output(p)


# ------------------------------------------------------------------ seed --ensure
def test_seed_ensure_adds_only_what_is_missing(fresh_db, run_pyctl):
    dsn = fresh_db()
    p = run_pyctl(["seed", "--companies", "50", "--ensure", "--format", "json"], dsn=dsn)
    assert p.returncode == 0 and json.loads(p.stdout)["companies"] == 50, output(p)
    state = run_pyctl(["state", "--format", "json"], dsn=dsn)
    p = run_pyctl(["seed", "--companies", "50", "--ensure"], dsn=dsn)
    assert p.returncode == 0 and "nothing added" in p.stdout, output(p)
    again = run_pyctl(["state", "--format", "json"], dsn=dsn)
    volatile = ("generated_at",)
    a, b = json.loads(state.stdout), json.loads(again.stdout)
    for k in volatile:
        a.pop(k), b.pop(k)
    assert a["companies"] == b["companies"] and a["row_counts"] == b["row_counts"]
    p = run_pyctl(["seed", "--companies", "60", "--ensure", "--format", "json"], dsn=dsn)
    assert p.returncode == 0 and json.loads(p.stdout)["companies"] == 10, "only the 10 missing"
    with psycopg.connect(dsn) as c:
        assert c.execute("SELECT count(*) FROM cl.company_identity").fetchone()[0] == 60
