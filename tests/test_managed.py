"""A managed-PostgreSQL deployment (RDS, Cloud SQL, Supabase): the login that
deploys is not a superuser; it has CREATEROLE and CREATEDB and owns the
database. On a cluster of its own, with no group role yet: migrate from
empty, again (nothing changes), a migrate that fails half-way (nothing is
left), verify as that login, what a DBA must still run, and that between
deploys the deployer cannot disable a guard."""
from __future__ import annotations

import json

import psycopg
import pytest

from helpers import copy_project, error_lines, fingerprint, fingerprint_diff, output
from ops_support import Cluster
from pyctl.policy import GROUP_ROLES

DEPLOYER = "deployer"
#: what a superuser still runs after a deployer's migrate (the DDL guard's event triggers)
DDL_GUARD_STATEMENT = "SELECT shq.fn_install_ddl_guard();"


@pytest.fixture(scope="module")
def managed():
    """A cluster with only its bootstrap superuser, a CREATEROLE CREATEDB
    deployer login and a database `app` it owns."""
    cluster = Cluster()
    try:
        cluster.execute(f"CREATE ROLE {DEPLOYER} LOGIN CREATEROLE CREATEDB")
        cluster.execute(f"CREATE DATABASE app OWNER {DEPLOYER} TEMPLATE template0")
        yield cluster
    finally:
        cluster.stop()


def new_database(cluster: Cluster, name: str, owner: str = DEPLOYER) -> str:
    cluster.execute(f"CREATE DATABASE {name} OWNER {owner} TEMPLATE template0")
    return cluster.url(name, DEPLOYER)


def _member(cluster, role: str, group: str) -> bool:
    return cluster.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", (role, group))[0][0]


def test_migrate_from_an_empty_cluster_as_the_deployer(managed, run_pyctl):
    assert managed.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'outreach%%'")[0][0] == 0
    dsn = managed.url("app", DEPLOYER)
    p = run_pyctl(["migrate", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert "Traceback" not in output(p)
    # what a superuser must still run, named exactly, once
    said = [ln for ln in p.stdout.splitlines() if "superuser needed" in ln]
    assert len(said) == 1 and DDL_GUARD_STATEMENT in said[0] and "database app" in said[0], p.stdout
    # the group roles were created by the run, NOLOGIN; every object is the owner's
    roles = dict(managed.execute("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'outreach%%'"))
    assert roles == {r: False for r in GROUP_ROLES}
    owners = managed.execute(
        "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname IN ('cl', 'outreach', 'people', 'company', 'shq') OR c.relname LIKE 'shq\\_error\\_log%%'",
        dbname="app")
    assert owners == [("outreach_owner",)]
    # nothing granted for the run outlives it
    assert not _member(managed, DEPLOYER, "outreach_owner")
    assert managed.execute("SELECT has_database_privilege('outreach_owner', 'app', 'CREATE'),"
                           " has_schema_privilege('outreach_owner', 'public', 'CREATE')", dbname="app") == [
        (False, False)]
    # again: nothing to do, nothing changes
    before = fingerprint(managed.url("app"))
    p = run_pyctl(["migrate", "--dsn", dsn])
    assert p.returncode == 0 and "up to date" in p.stdout, output(p)
    assert fingerprint_diff(before, fingerprint(managed.url("app"))) == []
    # and it is what a superuser's migrate makes
    ref = managed.url("by_superuser")
    managed.execute("CREATE DATABASE by_superuser TEMPLATE template0")
    p = run_pyctl(["migrate", "--dsn", ref])
    assert p.returncode == 0, output(p)
    assert fingerprint_diff(before, fingerprint(ref)) == []


def test_between_deploys_the_deployer_cannot_disable_a_guard(managed):
    """The old README's deployer (a member of outreach_owner) could; the
    deployer that pyctl migrate makes a member only for its transaction
    cannot, and the grants audit tells the two apart."""
    from pyctl.grants_audit import audit_grants

    with psycopg.connect(managed.url("app", DEPLOYER), autocommit=True) as c:
        for stmt in ("ALTER TABLE shq.audit_log DISABLE TRIGGER ALL", "DELETE FROM shq.audit_log",
                     "SET ROLE outreach_owner", "ALTER TABLE outreach.send_log DISABLE TRIGGER USER"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                c.execute(stmt)
    with psycopg.connect(managed.url("app"), autocommit=True) as admin:
        findings = audit_grants(admin)
        assert ("createrole_logins", DEPLOYER, "info") in {(f["check"], f["subject"], f["severity"]) for f in findings}
        assert not [f for f in findings if f["severity"] == "fail"], findings
        # the control: a standing member of the owner can, and fails the audit
        admin.execute("CREATE ROLE old_deployer LOGIN IN ROLE outreach_owner")
        try:
            with psycopg.connect(managed.url("app", "old_deployer")) as c:
                c.execute("ALTER TABLE shq.audit_log DISABLE TRIGGER trg_audit_log_010_append_only")
                c.rollback()
            assert ("owner_members", "old_deployer") in {
                (f["check"], f["subject"]) for f in audit_grants(admin) if f["severity"] == "fail"}
        finally:
            admin.execute("DROP ROLE old_deployer")


def test_a_migrate_that_fails_half_way_leaves_nothing(managed, run_pyctl, tmp_path):
    dsn = new_database(managed, "half")
    root = copy_project(tmp_path / "proj")
    (root / "db" / "0450_zz_broken.sql").write_text(
        "-- depends: 0400_gate_sends_engagement\nCREATE TABLE outreach.zz_partial (x int);\nSELECT 1 / 0;\n")
    p = run_pyctl(["migrate", "--dsn", dsn, "--root", root])
    assert p.returncode == 1 and "Traceback" not in output(p)
    lines = error_lines(p)
    assert len(lines) == 1 and "db/0450_zz_broken.sql" in lines[0] and "22012" in lines[0], output(p)
    # as it was: no schema, no table, no bookkeeping, no grant left
    assert managed.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                           " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')",
                           dbname="half") == [(0,)]
    assert managed.execute("SELECT count(*) FROM pg_namespace WHERE nspname IN ('cl', 'outreach', 'shq')",
                           dbname="half") == [(0,)]
    assert not _member(managed, DEPLOYER, "outreach_owner")
    # resumable: the good sources then migrate it completely
    p = run_pyctl(["migrate", "--dsn", dsn])
    assert p.returncode == 0, output(p)
    assert fingerprint_diff(fingerprint(managed.url("half")), fingerprint(managed.url("app"))) == []


def test_a_failing_repeatable_leaves_a_migrated_database_as_it_was(managed, run_pyctl, tmp_path):
    dsn = managed.url("app", DEPLOYER)
    root = copy_project(tmp_path / "proj")
    (root / "functions" / "zz").mkdir()
    (root / "functions" / "zz" / "broken.sql").write_text(
        "CREATE OR REPLACE FUNCTION outreach.zz_marker() RETURNS int LANGUAGE sql AS 'SELECT 1';\nSELECT 1 / 0;\n")
    with open(root / "db" / "manifest.txt", "a") as f:
        f.write("\nfunctions/zz/broken.sql\n")
    before = fingerprint(managed.url("app"))
    p = run_pyctl(["migrate", "--dsn", dsn, "--root", root])
    assert p.returncode == 1 and len(error_lines(p)) == 1 and "functions/zz/broken.sql" in p.stderr, output(p)
    assert fingerprint_diff(before, fingerprint(managed.url("app"))) == []
    assert not _member(managed, DEPLOYER, "outreach_owner")


def test_verify_as_the_deployer(managed, run_pyctl, tmp_path):
    dsn = managed.url("app", DEPLOYER)
    report_path = tmp_path / "r.json"
    p = run_pyctl(["verify", "--dsn", dsn, "--report", report_path])
    assert p.returncode == 0, output(p)[-3000:]
    report = json.loads(report_path.read_text())
    checks = report["checks"]
    assert checks["drift"]["status"] == "ok" and checks["grants"]["status"] == "ok"
    assert checks["pgtap"]["status"] == "not run" and checks["plpgsql_check"]["status"] == "not run"
    # what a DBA runs, said on the terminal
    assert "a DBA runs: CREATE EXTENSION plpgsql_check;" in p.stdout
    assert DDL_GUARD_STATEMENT in p.stdout
    assert managed.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'pyctl\\_verify\\_%%'") == [(0,)]
    # the DBA does both; then verify checks the live functions and warns no more
    managed.execute(DDL_GUARD_STATEMENT, dbname="app")
    managed.execute("CREATE EXTENSION plpgsql_check", dbname="app")
    p = run_pyctl(["verify", "--dsn", dsn, "--report", report_path])
    assert p.returncode == 0, output(p)[-3000:]
    checks = json.loads(report_path.read_text())["checks"]
    assert checks["plpgsql_check"]["status"] == "ok" and checks["plpgsql_check"]["info"]["database"] == "live"
    assert checks["plpgsql_check"]["info"]["checked"] > 50
    assert not checks["grants"]["warnings"] and DDL_GUARD_STATEMENT not in p.stdout
    # and a migrate by the deployer keeps the guard the superuser installed
    p = run_pyctl(["migrate", "--dsn", dsn])
    assert p.returncode == 0 and "superuser needed" not in p.stdout, output(p)
    assert managed.execute("SELECT count(*) FROM pg_event_trigger WHERE evtenabled = 'A'", dbname="app") == [(3,)]


# ------------------------------------------------------------------ missing privileges: one line each
def test_a_login_without_createrole_on_a_bare_cluster(run_pyctl):
    bare = Cluster()
    try:
        bare.execute("CREATE ROLE plain LOGIN CREATEDB")
        bare.execute("CREATE DATABASE app OWNER plain TEMPLATE template0")
        p = run_pyctl(["migrate", "--dsn", bare.url("app", "plain")])
        assert p.returncode == 1 and "Traceback" not in output(p)
        lines = error_lines(p)
        assert len(lines) == 1 and "42501" in lines[0], output(p)
        assert "ALTER ROLE plain CREATEROLE" in lines[0] and "CREATE ROLE outreach_owner NOLOGIN;" in lines[0]
        assert bare.execute("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'outreach%%'") == [(0,)]
        assert bare.execute("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace",
                            dbname="app") == [(0,)]
    finally:
        bare.stop()


@pytest.mark.parametrize("case", ["not_owner", "no_createrole", "noinherit"])
def test_missing_privileges_are_one_line(managed, run_pyctl, case):
    if case == "not_owner":
        dsn = new_database(managed, "not_mine", owner="postgres")
        want = f"ALTER DATABASE not_mine OWNER TO {DEPLOYER}"
    elif case == "noinherit":  # it would not get the privileges of the database it owns (schema public)
        managed.execute("CREATE ROLE stiff LOGIN CREATEROLE NOINHERIT")
        managed.execute("CREATE DATABASE stiff_db OWNER stiff TEMPLATE template0")
        dsn = managed.url("stiff_db", "stiff")
        want = "ALTER ROLE stiff INHERIT"
    else:
        managed.execute("CREATE ROLE weak LOGIN")
        managed.execute("CREATE DATABASE weak_db OWNER weak TEMPLATE template0")
        dsn = managed.url("weak_db", "weak")
        want = "ALTER ROLE weak CREATEROLE"
    p = run_pyctl(["migrate", "--dsn", dsn])
    assert p.returncode == 1 and "Traceback" not in output(p)
    lines = error_lines(p)
    assert len(lines) == 1 and "42501" in lines[0] and want in lines[0], output(p)
    db = dsn.rsplit("/", 1)[1]
    assert managed.execute("SELECT count(*) FROM pg_namespace WHERE nspname IN ('cl', 'outreach', 'shq')",
                           dbname=db) == [(0,)]


def test_a_non_transactional_migration_is_refused_before_anything(managed, run_pyctl, tmp_path):
    dsn = new_database(managed, "nontx")
    root = copy_project(tmp_path / "proj")
    (root / "db" / "0460_zz_concurrently.sql").write_text(
        "-- transactional: false\n-- depends: 0400_gate_sends_engagement\n"
        "CREATE INDEX CONCURRENTLY zz ON outreach.send_log (sent_at);\n")
    p = run_pyctl(["migrate", "--dsn", dsn, "--root", root])
    assert p.returncode == 1 and len(error_lines(p)) == 1 and "transactional: false" in p.stderr, output(p)
    assert managed.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'cl'", dbname="nontx") == [(0,)]
