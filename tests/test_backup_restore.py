"""The backup-and-restore runbook of docs/operations.md, run as written (its
`<!-- runbook: NAME -->` blocks, with bash) from a populated source cluster
(pg_cron preloaded, governance jobs scheduled, audit tables sealed) into a
new cluster: roles first, a restore into the new cron database and one into
another database (pg_cron's entries left out), then a data-only restore with
--disable-triggers. Every row comes back, migrate changes nothing, verify and
the seals are green, and after the data-only restore verify names every guard
trigger that is no longer ENABLE ALWAYS and migrate re-arms them."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from helpers import fingerprint, fingerprint_diff, output
from ops_support import Cluster
from pyctl.policy import PROJECT_SCHEMAS

RUNBOOK = Path(__file__).resolve().parent.parent / "docs" / "operations.md"
BLOCK = re.compile(r"<!-- runbook: ([\w-]+) -->\n<!-- norun -->\n```sh\n(.*?)```", re.S)
CRON = {"shared_preload_libraries": "pg_cron", "cron.database_name": "outreach",
        "cron.use_background_workers": "on", "max_worker_processes": "20"}
COMPANIES = 2000
# A cache pg_cron rewrites every five minutes, on the source and on the copy
# alike: what must come back is each snapshot, by name; its figures and time
# may be newer than the dump's by the time the rows are compared. (The
# fixture writes every snapshot before the backup, so a refresh that falls
# between the dump and the comparison rewrites names the dump already has.)
REWRITTEN_BY_CRON = {"shq.metrics_snapshot": "name"}


def runbook_blocks() -> dict[str, str]:
    return {name: body for name, body in BLOCK.findall(RUNBOOK.read_text())}


def table_rows(url: str) -> dict[str, set[str]]:
    """md5 of every row of every project table, by table."""
    out = {}
    with psycopg.connect(url, autocommit=True) as c:
        tables = c.execute(
            "SELECT format('%%I.%%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND (n.nspname = ANY(%s)"
            " OR (n.nspname = 'public' AND c.relname LIKE 'shq\\_error\\_log%%')) ORDER BY 1",
            (list(PROJECT_SCHEMAS),)).fetchall()
        for (t,) in tables:
            row = REWRITTEN_BY_CRON.get(t, "x")
            out[t] = {r[0] for r in c.execute(f"SELECT md5({row}::text) FROM {t} AS x").fetchall()}
    return out


def assert_every_row_is_back(src: dict[str, set[str]], dst: dict[str, set[str]], added: tuple = ()) -> None:
    """Every source row is in the copy; the copy has nothing else but what
    the runbook's own commands wrote (their audit_log rows)."""
    assert set(src) == set(dst)
    for table, rows in src.items():
        assert rows <= dst[table], f"{table}: {len(rows - dst[table])} row(s) not restored"
        if table not in added:
            assert dst[table] == rows, f"{table}: {len(dst[table] - rows)} row(s) more than the source"


def always_triggers(url: str) -> set[str]:
    with psycopg.connect(url, autocommit=True) as c:
        return {r[0] for r in c.execute(
            "SELECT c.oid::regclass::text || '.' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ANY(%s) AND NOT t.tgisinternal"
            " AND t.tgenabled = 'A'", (list(PROJECT_SCHEMAS),)).fetchall()}


@pytest.fixture(scope="module")
def clusters(tmp_path_factory, run_pyctl):
    """(source cluster with a populated `outreach`, new cluster, work dir, run(block, **env))."""
    old, new = Cluster(**CRON), None
    try:
        new = Cluster(**CRON)
        old.execute("CREATE DATABASE outreach")
        src = old.url("outreach")
        for args in (["migrate"], ["seed", "--companies", str(COMPANIES)], ["schedule"]):
            p = run_pyctl([*args, "--dsn", src])
            assert p.returncode == 0, output(p)[-3000:]
        # every metric snapshot exists before the backup (see REWRITTEN_BY_CRON)
        old.execute("SELECT * FROM shq.fn_refresh_metrics_snapshot()", dbname="outreach")
        # logins that hold group roles: the roles file must carry them
        old.execute("CREATE ROLE mailer LOGIN IN ROLE outreach_sender")
        old.execute("CREATE ROLE ops_admin LOGIN IN ROLE outreach_override_admin")
        work = tmp_path_factory.mktemp("runbook")
        blocks = runbook_blocks()
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("PG") and k != "DATABASE_URL"}
        base_env["PATH"] = f"{Path(sys.executable).parent}:{base_env.get('PATH', '')}"
        base_env.update(OLD_URL=src, OLD_SERVER_URL=old.url(), NEW_SERVER_URL=new.url())

        def run(name: str, new_db: str) -> subprocess.CompletedProcess:
            env = {**base_env, "NEW_DB": new_db, "NEW_URL": new.url(new_db)}
            return subprocess.run(["bash", "-euo", "pipefail", "-c", blocks[name]], cwd=work, env=env,
                                  capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)

        yield old, new, work, run
    finally:
        old.stop()
        if new:
            new.stop()


def test_the_runbook_has_its_blocks():
    assert set(runbook_blocks()) == {"backup", "roles", "restore-cron-database", "restore-elsewhere", "check",
                                     "data-only"}


def test_backup_then_restore_into_the_new_cron_database(clusters):
    old, new, work, run = clusters
    for name in ("backup", "roles"):
        p = run(name, "outreach")
        assert p.returncode == 0, (name, output(p)[-3000:])
    assert json.loads((work / "heads.json").read_text())["heads"], "the chain heads were kept outside"
    # roles first: the group roles, the logins and who is a member of what
    assert new.execute("SELECT pg_has_role('mailer', 'outreach_sender', 'MEMBER'),"
                       " pg_has_role('ops_admin', 'outreach_override_admin', 'MEMBER')") == [(True, True)]
    p = run("restore-cron-database", "outreach")
    assert p.returncode == 0, output(p)[-3000:]
    src, dst = old.url("outreach"), new.url("outreach")
    # every row is back, and pg_cron's jobs with it (scheduled again by name)
    before = table_rows(src)
    assert len(before["cl.company_identity"]) == COMPANIES and before["outreach.send_log"]
    assert before["shq.audit_seals"] and before["outreach.manual_overrides"] and before["shq.metrics_snapshot"]
    assert_every_row_is_back(before, table_rows(dst), added=("shq.audit_log",))  # pyctl schedule is audited
    jobs = "SELECT jobname FROM cron.job ORDER BY 1"
    assert new.execute(jobs, dbname="outreach") == old.execute(jobs, dbname="outreach")
    # the checks: migrate changes nothing, verify and the seals (with the heads kept outside) are green
    catalog = fingerprint(dst)
    p = run("check", "outreach")
    assert p.returncode == 0, output(p)[-4000:]
    assert "migrations: up to date" in p.stdout and "verify: ok" in p.stdout and "audit seals: ok" in p.stdout
    assert fingerprint_diff(catalog, fingerprint(dst)) == []
    # the kill switch works on the copy (the roles were there before the objects)
    with psycopg.connect(dst, autocommit=True) as c:
        cid = c.execute("SELECT company_unique_id FROM outreach.company_target LIMIT 1").fetchone()[0]
    with psycopg.connect(new.url("outreach", "ops_admin"), autocommit=True) as c:
        assert c.execute("SELECT outreach.set_marketing_override(%s, 'BLOCK_PHONE', 'after restore', 'ops')",
                         (cid,)).fetchone()[0] is not None


def test_another_database_needs_pg_crons_entries_left_out(clusters):
    old, new, work, run = clusters
    if not (work / "outreach.dump").exists():
        assert run("backup", "outreach").returncode == 0 and run("roles", "outreach").returncode == 0
    new.execute("CREATE DATABASE plain_copy")
    p = subprocess.run(["pg_restore", "--dbname", new.url("plain_copy"), "--single-transaction", "--exit-on-error",
                        str(work / "outreach.dump")], capture_output=True, text=True)
    assert p.returncode != 0 and "pg_cron" in p.stderr, p.stderr[-2000:]
    assert new.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'outreach'", dbname="plain_copy") == [(0,)]
    p = run("restore-elsewhere", "copy")
    assert p.returncode == 0, output(p)[-3000:]
    dst = new.url("copy")
    assert_every_row_is_back(table_rows(old.url("outreach")), table_rows(dst))
    p = run("check", "copy")
    assert p.returncode == 0 and "verify: ok" in p.stdout and "audit seals: ok" in p.stdout, output(p)[-4000:]


def test_a_data_only_restore_disarms_the_guards_verify_names_them_migrate_rearms_them(clusters):
    old, new, work, run = clusters
    if not (work / "restore.list").exists():
        for name, db in (("backup", "outreach"), ("roles", "outreach"), ("restore-elsewhere", "copy")):
            assert run(name, db).returncode == 0, name
    src, dst = old.url("outreach"), new.url("data_only")
    armed = always_triggers(src)
    assert len(armed) > 40
    # without saying so, the DDL guard (restored with the schema) refuses DISABLE TRIGGER: nothing restored
    new.execute("CREATE DATABASE refused")
    restore = ["pg_restore", "--dbname", new.url("refused"), "--single-transaction", "--exit-on-error",
               "--use-list", str(work / "restore.list"), str(work / "outreach.dump")]
    assert subprocess.run(restore[:-3] + ["--schema-only"] + restore[-3:], capture_output=True).returncode == 0
    p = subprocess.run(restore[:-3] + ["--data-only", "--disable-triggers"] + restore[-3:], capture_output=True,
                       text=True)
    assert p.returncode != 0 and "refused by the DDL guard" in p.stderr, p.stderr[-2000:]
    assert new.execute("SELECT count(*) FROM cl.company_identity", dbname="refused") == [(0,)]
    p = run("data-only", "data_only")
    assert p.returncode == 0, output(p)[-4000:]
    first, last = p.stdout.split("verify names the disarmed triggers")
    # verify failed naming every trigger the restore turned from ENABLE ALWAYS into ENABLE ...
    named = set(re.findall(r"^    - (\S+): trigger is ENABLE \(skipped under session_replication_role = replica\),"
                           r" the sources say ENABLE ALWAYS$", first, re.M))
    assert named, first[-3000:]
    # ... which is every ENABLE ALWAYS trigger of a table whose data was restored
    with psycopg.connect(src, autocommit=True) as c:
        restored_tables = {r[0] for r in c.execute(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = ANY(%s) AND c.relkind = 'r'", (list(PROJECT_SCHEMAS),)).fetchall()}
    assert named == {t for t in armed if t.rsplit(".", 1)[0] in restored_tables}
    # ... and migrate re-armed them: the second verify is green, every row is there
    assert "verify: ok" in last, last[-3000:]
    assert always_triggers(dst) == armed
    assert_every_row_is_back(table_rows(src), table_rows(dst))
