"""The grants audit of `pyctl verify` (tamper evidence): who could get around
the append-only and sovereign guards, and whether the guards are armed.

`audit_grants(conn)` returns a list of findings, each a dict
    {"check", "severity", "subject", "problem"}
with severity "fail" (verify fails), "warning" or "info" (reported only):

  owner_members        no login role is (directly or through other roles) a
                       member of outreach_owner, and outreach_owner cannot log in
                       (`pyctl migrate` makes a deployer that is not a superuser
                       a member only for the length of its own transaction, so
                       between deploys it cannot SET ROLE to the owner, nor
                       disable a guard trigger without first granting itself
                       the owner role: a deliberate, visible act)
  write_all_data       no login role is a member of pg_write_all_data
  replication_role     no login role may SET session_replication_role
                       (it makes ordinary triggers stop firing)
  schema_create        nobody but a project schema's owner holds CREATE on it
  protected_rules      no rule exists on a guarded table (the registry shq.guarded_tables)
  guard_triggers       every guard trigger the registry expects exists, unchanged
                       and ENABLE ALWAYS, and no guard trigger is unregistered
  ddl_guard            the DDL guard's event triggers are installed (warning)
  createrole_logins    (info) logins that are not superusers but hold
                       CREATEROLE (the managed-PostgreSQL deployer): they could
                       grant themselves any group role, the owner included

Superusers: a superuser login is normal for the DBA. It is implicitly all of
the above, and nothing inside the database can stop it (it can also disable
any trigger); each superuser login is reported as "info", never "fail". What
a superuser changes in the sealed rows is detected by the seals.

`check_grants(conn)` wraps the findings as a `pyctl verify` check dict
(name "grants", ok, failures, warnings, info).
"""
from __future__ import annotations

import psycopg

from pyctl import policy

DDL_GUARD_EVENT_TRIGGERS = ("shq_ddl_guard_drop", "shq_ddl_guard_end", "shq_ddl_guard_start")

MEMBERS_OF = """
WITH RECURSIVE m(member, roleid) AS (
    SELECT a.member, a.roleid FROM pg_auth_members a
    UNION
    SELECT a.member, m.roleid FROM pg_auth_members a JOIN m ON a.roleid = m.member
)
SELECT r.rolname, r.rolsuper
  FROM m JOIN pg_roles r ON r.oid = m.member
 WHERE m.roleid = (SELECT oid FROM pg_roles WHERE rolname = %s)
   AND r.rolcanlogin
 ORDER BY 1
"""


def _finding(check: str, severity: str, subject: str, problem: str) -> dict:
    return {"check": check, "severity": severity, "subject": subject, "problem": problem}


def superuser_logins(conn: psycopg.Connection) -> list[dict]:
    rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolsuper AND rolcanlogin ORDER BY 1").fetchall()
    return [_finding("superusers", "info", name,
                     "superuser login (normal for the DBA): bypasses every grant and can disable triggers and "
                     "the DDL guard; the seals detect what it changes in sealed rows")
            for (name,) in rows]


def owner_members(conn: psycopg.Connection) -> list[dict]:
    out = []
    can_login = conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'outreach_owner'").fetchone()
    if can_login and can_login[0]:
        out.append(_finding("owner_members", "fail", "outreach_owner",
                            "outreach_owner can log in (it owns every object; nobody may log in as it)"))
    for name, is_super in conn.execute(MEMBERS_OF, ("outreach_owner",)).fetchall():
        out.append(_finding("owner_members", "info" if is_super else "fail", name,
                            "login role is a member of outreach_owner: it can SET ROLE to the owner of every "
                            "object, disable a guard trigger and sanction its own writes (pyctl migrate needs no "
                            f"standing membership: REVOKE outreach_owner FROM {name})"))
    return out


def createrole_logins(conn: psycopg.Connection) -> list[dict]:
    rows = conn.execute("SELECT rolname FROM pg_roles WHERE rolcanlogin AND rolcreaterole AND NOT rolsuper"
                        " ORDER BY 1").fetchall()
    return [_finding("createrole_logins", "info", name,
                     "login with CREATEROLE (the deployer of a managed server): it is not a member of "
                     "outreach_owner between deploys, but could grant itself any group role")
            for (name,) in rows]


def write_all_data(conn: psycopg.Connection) -> list[dict]:
    return [_finding("write_all_data", "info" if is_super else "fail", name,
                     "login role is a member of pg_write_all_data (INSERT/UPDATE/DELETE on every table)")
            for name, is_super in conn.execute(MEMBERS_OF, ("pg_write_all_data",)).fetchall()]


def replication_role(conn: psycopg.Connection) -> list[dict]:
    # PostgreSQL 15 can GRANT SET ON PARAMETER to a non-superuser
    rows = conn.execute(
        "SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper"
        " AND has_parameter_privilege(oid, 'session_replication_role', 'SET') ORDER BY 1").fetchall()
    return [_finding("replication_role", "fail", name,
                     "login role may SET session_replication_role (ordinary triggers stop firing under 'replica')")
            for (name,) in rows]


def schema_create(conn: psycopg.Connection) -> list[dict]:
    rows = conn.execute(
        "SELECT n.nspname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END,"
        "       coalesce((SELECT r.rolsuper FROM pg_roles r WHERE r.oid = a.grantee), false)"
        "  FROM pg_namespace n, LATERAL aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a"
        " WHERE n.nspname = ANY(%s) AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner"
        " ORDER BY 1, 2", (list(policy.PROJECT_SCHEMAS),)).fetchall()
    return [_finding("schema_create", "info" if is_super else "fail", role,
                     f"holds CREATE on project schema {schema} (only its owner may create objects there)")
            for schema, role, is_super in rows]


def protected_rules(conn: psycopg.Connection) -> list[dict]:
    rows = conn.execute(
        "SELECT n.nspname || '.' || c.relname, r.rulename FROM pg_rewrite r"
        "  JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname || '.' || c.relname = ANY(%s) AND r.rulename <> '_RETURN' ORDER BY 1, 2",
        (policy.guarded_tables(conn),)).fetchall()
    return [_finding("protected_rules", "fail", table,
                     f"rule {rule} on a protected table (a rule can silently rewrite or drop its writes)")
            for table, rule in rows]


def guard_triggers(conn: psycopg.Connection) -> list[dict]:
    """Every guard trigger of the registry (shq.fn_check_guard_triggers):
    missing, not ENABLE ALWAYS, redefined, or guarding an unregistered table."""
    if conn.execute("SELECT to_regprocedure('shq.fn_check_guard_triggers()') IS NULL").fetchone()[0]:
        return []
    rows = conn.execute("SELECT table_name, trigger_name, problem, enabled, detail"
                        " FROM shq.fn_check_guard_triggers()").fetchall()
    state = {"O": "ENABLE (skipped under session_replication_role = replica)", "D": "DISABLED",
             "R": "ENABLE REPLICA (fires only under replica)"}
    return [_finding("guard_triggers", "fail", f"{table}.{name}",
                     f"guard trigger is {state.get(enabled, enabled)}, not ENABLE ALWAYS" if problem == "NOT_ALWAYS"
                     else f"guard trigger {problem.lower()}: {detail}")
            for table, name, problem, enabled, detail in rows]


def ddl_guard(conn: psycopg.Connection) -> list[dict]:
    rows = dict(conn.execute(
        "SELECT evtname, evtenabled FROM pg_event_trigger WHERE evtname = ANY(%s)"
        " AND evtfoid IN (SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        "                  WHERE n.nspname = 'shq' AND p.proname = 'tg_ddl_guard')",
        (list(DDL_GUARD_EVENT_TRIGGERS),)).fetchall())
    missing = [n for n in DDL_GUARD_EVENT_TRIGGERS if n not in rows]
    weak = [n for n, e in rows.items() if e != "A"]
    if missing:
        return [_finding("ddl_guard", "warning", ", ".join(missing),
                         "DDL guard event trigger(s) not installed (event triggers need a superuser): DDL that "
                         "weakens the protected tables is not refused; a superuser runs, in this database: "
                         "SELECT shq.fn_install_ddl_guard();  (or `pyctl audit guard --install`)")]
    if weak:
        return [_finding("ddl_guard", "warning", ", ".join(sorted(weak)),
                         "DDL guard event trigger(s) not ENABLE ALWAYS (skipped under session_replication_role"
                         " = replica, or disabled); a superuser runs, in this database: SELECT shq.fn_install_ddl_guard();")]
    return []


CHECKS = (superuser_logins, owner_members, write_all_data, replication_role, schema_create, protected_rules,
          guard_triggers, ddl_guard, createrole_logins)


#: the checks that read the registry of guarded tables (schema shq), which a
#: login outside the project's roles may not read itself (see pyctl.verify)
REGISTRY_CHECKS = (protected_rules, guard_triggers)


def audit_grants(conn: psycopg.Connection, checks=CHECKS) -> list[dict]:
    """Every finding of `checks` (default: all; see the module docstring)."""
    findings: list[dict] = []
    for check in checks:
        findings.extend(check(conn))
    return findings


def check_grants(conn: psycopg.Connection) -> dict:
    """The findings of every check as a `pyctl verify` check."""
    return as_verify_check(audit_grants(conn))


def as_verify_check(findings: list[dict]) -> dict:
    """Findings as a `pyctl verify` check: fails on any "fail" finding."""
    fails = [f for f in findings if f["severity"] == "fail"]
    return {
        "name": "grants",
        "ok": not fails,
        "failures": [{"subject": f["subject"], "problem": f"{f['check']}: {f['problem']}", "check": f["check"]}
                     for f in fails],
        "warnings": [f for f in findings if f["severity"] == "warning"],
        "info": {"notes": [f for f in findings if f["severity"] == "info"],
                 "checks": [c.__name__ for c in CHECKS]},
    }
