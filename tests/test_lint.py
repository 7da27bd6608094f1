"""Static checks of the SQL sources (no database needed):

  - db/manifest.txt lists every .sql file of functions/, triggers/, views/
    exactly once, and nothing else;
  - repeatable files hold only idempotent statements (pglast), and a
    views/<schema>/<name>.sql file defines exactly that view (the controller
    drops it by that name before re-applying);
  - pgspot finds nothing in db/*.sql and the repeatable files, each file on
    its own, except the codes of the PGSPOT_IGNORE* tables, each with its reason.
"""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from pglast import parse_sql
from pglast.enums import AlterTableType, ObjectType

from pyctl.resources import SQL_ROOT
from pyctl.migrate import MANIFEST, REPEATABLE_DIRS, view_name

#: pgspot codes accepted in every file, and why
PGSPOT_IGNORE = {
    "PS002": "CREATE OR REPLACE FUNCTION in a schema this file did not create: the project schemas are "
             "created by db/0001 and owned by outreach_owner, and no other role holds CREATE on them "
             "(`pyctl verify` checks that), so nobody can pre-create a function to be replaced",
    "PS015": "CREATE OR REPLACE VIEW: same reason as PS002, and `pyctl migrate` drops every manifest view "
             "before re-creating it",
}
#: pgspot codes accepted in views/ files, and why
PGSPOT_IGNORE_VIEWS = {
    code: "a view binds its operators, functions and types when it is created, and views are created only "
          "by `pyctl migrate`, whose repeatable pass runs with search_path = pg_catalog, pg_temp"
    for code in ("PS001", "PS016", "PS017")
}
#: a repeatable file whose function is an inlinable SQL function says so on a
#: line of its own (functions/outreach/fn_score_tier.sql, the BIT arithmetic ...)
INLINABLE_MARK = "-- Inlinable:"
#: pgspot codes accepted in such files, and why
PGSPOT_IGNORE_INLINABLE = {
    "PS005": "a SET clause, search_path included, stops the planner from inlining a SQL function; the file "
             "schema-qualifies every name instead (pgspot's other checks still apply), and "
             "pgtap_tests/one_home_rules.sql checks that each one is inlined",
}
#: a repeatable file whose function a trigger's WHEN calls (once per statement
#: or row of a hot path) and that has no SET clause says why on a line of its own
WHEN_CALL_MARK = "-- Called by a trigger's WHEN, without a SET clause:"
#: pgspot codes accepted in such files, and why
PGSPOT_IGNORE_WHEN_CALL = {
    "PS005": "a SET clause costs a GUC save and restore on every call, per statement or row of the send path; "
             "the function is not SECURITY DEFINER (checked below) and the file schema-qualifies every name "
             "instead (pgspot's other checks still apply)",
}
#: pgspot codes accepted in db/*.sql only (none: a migration that starts with
#: `SET LOCAL search_path = pg_catalog, pg_temp;` satisfies PS001/PS016/PS017)
PGSPOT_IGNORE_MIGRATIONS: dict[str, str] = {}

#: repeatable files that may hold a DO block, and why (each one must be idempotent by itself)
DO_ALLOWED = {
    "triggers/shq/ddl_guard__event_trigger.sql":
        "event triggers have no CREATE OR REPLACE; it calls shq.fn_install_ddl_guard(), which creates or "
        "repairs only what is missing",
    "triggers/shq/guard_triggers.sql":
        "the guard triggers of the registry shq.guarded_tables are generated: it calls "
        "shq.fn_install_guard_triggers(), which runs CREATE OR REPLACE TRIGGER and ENABLE ALWAYS only",
    "views/outreach/vw_marketing_eligibility_with_overrides.sql":
        "the tier rule's constant functions take their EXECUTE grants from the eligibility views' readers: it calls "
        "outreach._write_hub_totals() once both views exist, which runs CREATE OR REPLACE FUNCTION, COMMENT, REVOKE "
        "and GRANT only",
    "functions/outreach/_write_hub_totals.sql":
        "the tier rule's hub counts are generated constants: it calls outreach._write_hub_totals(), which runs "
        "CREATE OR REPLACE FUNCTION, COMMENT, REVOKE and GRANT only",
    "functions/outreach/_write_outbox_event_type_list.sql":
        "the events' type list is a generated constant function: it calls outreach._write_outbox_event_type_list(), "
        "which runs CREATE OR REPLACE FUNCTION, COMMENT and REVOKE only",
    "triggers/outreach/company_eligibility.sql":
        "the maintained eligibility's triggers (a table and event each) are generated: it calls "
        "outreach._install_company_eligibility_triggers(), which runs CREATE OR REPLACE FUNCTION, COMMENT, REVOKE "
        "(each UPDATE trigger's function) and CREATE OR REPLACE TRIGGER only",
    **{f"triggers/{t}__history.sql":
       "a table's state history trigger function and triggers are generated: it calls "
       "shq._install_state_history(), which runs CREATE OR REPLACE FUNCTION, COMMENT and CREATE OR REPLACE TRIGGER only"
       for t in ("cl/company_identity", "outreach/company_hub_status", "outreach/company_target")},
}

ROUTINE_TYPES = {ObjectType.OBJECT_FUNCTION, ObjectType.OBJECT_PROCEDURE, ObjectType.OBJECT_ROUTINE}


def manifest_entries() -> list[str]:
    path = SQL_ROOT / MANIFEST
    if not path.exists():
        return []
    return [ln.split("#", 1)[0].strip() for ln in path.read_text().splitlines()
            if ln.split("#", 1)[0].strip()]


def repeatable_files_on_disk() -> list[str]:
    return sorted(str(p.relative_to(SQL_ROOT)) for d in REPEATABLE_DIRS
                  for p in (SQL_ROOT / d).rglob("*.sql"))


REPEATABLES = [e for e in manifest_entries() if (SQL_ROOT / e).is_file()]


# ------------------------------------------------------------------ manifest
def test_manifest_lists_every_repeatable_file_exactly_once():
    listed = manifest_entries()
    twice = sorted(name for name, n in Counter(listed).items() if n > 1)
    assert twice == [], f"listed more than once in {MANIFEST}: {twice}"
    on_disk = set(repeatable_files_on_disk())
    missing = sorted(on_disk - set(listed))
    assert missing == [], f"not listed in {MANIFEST}: {missing}"
    unknown = sorted(set(listed) - on_disk)
    assert unknown == [], f"listed in {MANIFEST} but not a .sql file under {'/'.join(REPEATABLE_DIRS)}: {unknown}"


# ------------------------------------------------------------------ idempotent statements
def statement_problem(stmt, do_allowed: bool = False) -> str | None:
    """Why `stmt` may not be in a repeatable file, or None when it may."""
    kind = type(stmt).__name__
    if kind == "DoStmt" and do_allowed:
        return None
    if kind in ("CreateFunctionStmt", "ViewStmt", "CreateTrigStmt"):
        return None if stmt.replace else f"{kind} without OR REPLACE"
    if kind in ("CommentStmt", "GrantStmt", "AlterFunctionStmt"):
        return None
    if kind == "AlterOwnerStmt":
        return None if stmt.objectType in ROUTINE_TYPES else "ALTER ... OWNER of something other than a routine"
    if kind == "AlterTableStmt":
        bad = [c.subtype.name for c in stmt.cmds if c.subtype != AlterTableType.AT_EnableAlwaysTrig]
        return None if not bad else f"ALTER TABLE {', '.join(bad)} (only ENABLE ALWAYS TRIGGER is repeatable)"
    return f"{kind} is not an idempotent statement"


@pytest.mark.parametrize("rel", REPEATABLES)
def test_repeatable_file_holds_only_idempotent_statements(rel):
    text = (SQL_ROOT / rel).read_text()
    stmts = parse_sql(text)
    problems = []
    for raw in stmts:
        why = statement_problem(raw.stmt, do_allowed=rel in DO_ALLOWED)
        if why:
            line = text.count("\n", 0, raw.stmt_location or 0) + 1
            problems.append(f"{rel}:{line}: {why}")
    assert problems == []
    name = view_name(Path(rel))
    if name:
        views = [f"{s.stmt.view.schemaname}.{s.stmt.view.relname}" for s in stmts
                 if type(s.stmt).__name__ == "ViewStmt"]
        assert views == [name], f"{rel} must define exactly the view {name} (schema-qualified); it defines {views}"


def test_lint_rejects_non_idempotent_statements():
    for sql in ("CREATE FUNCTION a.f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "CREATE TABLE a.t (x int)",
                "DROP VIEW a.v", "ALTER TABLE a.t ADD COLUMN y int", "INSERT INTO a.t VALUES (1)", "BEGIN",
                "DO $$ BEGIN END $$"):
        assert statement_problem(parse_sql(sql)[0].stmt), sql
    for sql in ("CREATE OR REPLACE VIEW a.v AS SELECT 1", "GRANT SELECT ON a.v TO r", "REVOKE ALL ON a.v FROM PUBLIC",
                "COMMENT ON VIEW a.v IS 'x'", "ALTER TABLE a.t ENABLE ALWAYS TRIGGER tg",
                "ALTER FUNCTION a.f() SET search_path = pg_catalog", "ALTER FUNCTION a.f() OWNER TO r",
                "CREATE OR REPLACE TRIGGER tg AFTER INSERT ON a.t FOR EACH ROW EXECUTE FUNCTION a.f()"):
        assert statement_problem(parse_sql(sql)[0].stmt) is None, sql


# ------------------------------------------------------------------ pgspot
def has_mark(rel: str, mark: str) -> bool:
    """A functions/ file with a line that starts with the mark."""
    return rel.startswith("functions/") and any(
        ln.startswith(mark) for ln in (SQL_ROOT / rel).read_text().splitlines())


def is_inlinable(rel: str) -> bool:
    """A functions/ file that declares an inlinable SQL function (INLINABLE_MARK)."""
    return has_mark(rel, INLINABLE_MARK)


def is_when_call(rel: str) -> bool:
    """A functions/ file that declares a function a trigger's WHEN calls, without a SET clause (WHEN_CALL_MARK)."""
    return has_mark(rel, WHEN_CALL_MARK)


@pytest.mark.parametrize("mark, language, at_least", [
    # a SET clause or SECURITY DEFINER would silently stop the inlining
    # (pgtap_tests/one_home_rules.sql checks the plans)
    (INLINABLE_MARK, "sql", 8),
    # no SECURITY DEFINER (whose search_path must be pinned), no SET clause,
    # and PL/pgSQL (an SQL function would be inlined, its body parsed for
    # every statement)
    (WHEN_CALL_MARK, "plpgsql", 2),
], ids=["inlinable", "when_called"])
def test_a_marked_function_has_no_set_clause_nor_security_definer(mark, language, at_least):
    """What each mark promises about the function its file declares."""
    marked = [r for r in REPEATABLES if has_mark(r, mark)]
    assert len(marked) >= at_least, marked
    for rel in marked:
        stmt = parse_sql((SQL_ROOT / rel).read_text())[0].stmt
        options = {o.defname: o.arg for o in stmt.options}
        assert "set" not in options and "security" not in options, f"{rel}: SET clause or SECURITY DEFINER"
        assert options["language"].sval == language, f"{rel}: not LANGUAGE {language}"


def run_pgspot(files: list[Path], ignore: dict[str, str]) -> list[str]:
    """pgspot over `files`, each on its own (a SET search_path in one file
    cannot vouch for another); one line per finding, prefixed with its file."""
    if not files:
        return []
    cmd = [str(Path(sys.executable).parent / "pgspot")]
    for code in ignore:
        cmd += ["--ignore", code]
    p = subprocess.run(cmd + [str(f) for f in files], capture_output=True, text=True, cwd=SQL_ROOT)
    findings = []
    current = str(files[0].relative_to(SQL_ROOT))
    names = {str(f) for f in files}
    for line in (p.stdout + p.stderr).splitlines():
        s = line.strip()
        if not s or s.startswith(("Errors:", "TOTAL:")):
            continue
        if s.endswith(":") and s[:-1] in names:
            current = str(Path(s[:-1]).relative_to(SQL_ROOT))
            continue
        findings.append(f"{current}: {s}")
    if p.returncode != 0 and not findings:
        findings.append(f"pgspot exited {p.returncode}: {p.stderr.strip()[-500:]}")
    return findings


def test_pgspot_finds_nothing_unexplained():
    migrations = sorted((SQL_ROOT / "db").glob("*.sql"))
    if not migrations:
        pytest.fail("no SQL sources found under db/")
    findings = run_pgspot(migrations, {**PGSPOT_IGNORE, **PGSPOT_IGNORE_MIGRATIONS})
    inlinable = [r for r in REPEATABLES if is_inlinable(r)]
    when_called = [r for r in REPEATABLES if is_when_call(r)]
    findings += run_pgspot([SQL_ROOT / r for r in REPEATABLES
                            if not r.startswith("views/") and r not in inlinable and r not in when_called],
                           PGSPOT_IGNORE)
    findings += run_pgspot([SQL_ROOT / r for r in inlinable], {**PGSPOT_IGNORE, **PGSPOT_IGNORE_INLINABLE})
    findings += run_pgspot([SQL_ROOT / r for r in when_called], {**PGSPOT_IGNORE, **PGSPOT_IGNORE_WHEN_CALL})
    findings += run_pgspot([SQL_ROOT / r for r in REPEATABLES if r.startswith("views/")],
                           {**PGSPOT_IGNORE, **PGSPOT_IGNORE_VIEWS})
    assert findings == [], "\n".join(findings)
