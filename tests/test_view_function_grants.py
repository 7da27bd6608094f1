"""Every role that may read a project view may run every project function the
view calls, directly or through the views it reads.

PostgreSQL runs the functions of a view as the role that queries it (inlined
or not; only the tables are read with the view owner's rights), so a role
granted SELECT on a view without EXECUTE on one of its functions gets
"permission denied for function" at its first read.
"""
from __future__ import annotations

import psycopg

#: (view, function, role) for each reader of a view that may not run a project
#: function the view reaches: its rules' dependencies, followed through views
MISSING_EXECUTE_SQL = """
WITH RECURSIVE rule_refs AS (
    SELECT r.ev_class AS view, d.refclassid, d.refobjid
      FROM pg_catalog.pg_rewrite r
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = r.oid
     WHERE d.refobjid <> r.ev_class
), reach AS (
    SELECT rr.view AS top, rr.refclassid, rr.refobjid FROM rule_refs rr
    UNION
    SELECT reach.top, rr.refclassid, rr.refobjid
      FROM reach JOIN rule_refs rr ON reach.refclassid = 'pg_catalog.pg_class'::regclass AND rr.view = reach.refobjid
)
SELECT DISTINCT reach.top::regclass::text, p.oid::regprocedure::text, a.grantee::regrole::text
  FROM reach
  JOIN pg_catalog.pg_class v ON v.oid = reach.top
  JOIN pg_catalog.pg_namespace vn ON vn.oid = v.relnamespace
  JOIN pg_catalog.pg_proc p ON reach.refclassid = 'pg_catalog.pg_proc'::regclass AND p.oid = reach.refobjid
  JOIN pg_catalog.pg_namespace pn ON pn.oid = p.pronamespace
 CROSS JOIN LATERAL pg_catalog.aclexplode(v.relacl) a
 WHERE vn.nspname IN ('outreach', 'shq', 'cl', 'people')
   AND pn.nspname IN ('outreach', 'shq', 'cl', 'people')
   AND a.privilege_type = 'SELECT' AND a.grantee <> 0 AND a.grantee <> v.relowner
   AND NOT pg_catalog.has_function_privilege(a.grantee, p.oid, 'EXECUTE')
 ORDER BY 1, 2, 3
"""


def test_every_reader_of_a_view_may_run_its_functions(conn):
    assert conn.execute(MISSING_EXECUTE_SQL).fetchall() == []


def test_a_reader_without_execute_on_a_function_of_the_hub_rollup_is_found(conn):
    """The check sees through views: vw_sovereign_completion reads _hub_rollup, which counts
    by _hub_status_counts_as_passed; without EXECUTE the reader's read fails, and the check says so."""
    with conn.transaction():
        conn.execute("REVOKE EXECUTE ON FUNCTION outreach._hub_status_counts_as_passed(text) FROM outreach_reader")
        missing = conn.execute(MISSING_EXECUTE_SQL).fetchall()
        conn.execute("SET LOCAL ROLE outreach_reader")
        try:
            with conn.transaction():  # every column: a column not read is not computed, nor checked
                conn.execute("SELECT * FROM outreach.vw_sovereign_completion LIMIT 1")
            raised = None
        except psycopg.errors.InsufficientPrivilege as e:
            raised = e.sqlstate
        assert ("outreach.vw_sovereign_completion", "outreach._hub_status_counts_as_passed(text)",
                "outreach_reader") in missing
        assert raised == "42501"
        raise psycopg.Rollback()  # the grant back as it was
