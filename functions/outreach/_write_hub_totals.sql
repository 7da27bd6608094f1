-- outreach._write_hub_totals(): the number of required and optional hubs of outreach.hub_registry, written as
-- two constant SQL functions the tier rule reads (docs/maintained-eligibility.md). Re-run by every migrate.
CREATE OR REPLACE FUNCTION outreach._write_hub_totals()
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- The registry changes only through a migration, but the tier rule reads its
-- two counts on every read of the eligibility views: as functions whose body
-- is a literal, they are inlined and folded into a constant when a query is
-- planned, so a gate check starts no aggregate over the registry (PARALLEL
-- SAFE: a full scan of the views stays parallel). This is the
-- one place that counts the registry; it writes the two functions through
-- outreach._write_generated_function, like the other generated constants,
-- and grants them below. Every `pyctl migrate` runs it (below),
-- and so does every statement that writes the registry (its trigger
-- trg_hub_registry_500_hub_totals), so the constants never lag it. Replacing
-- a function invalidates every cached plan that folded it.
DECLARE
    v_role     text;
    v_reads    boolean;
    -- the functions a read of the views may call: the totals, and the rule that reads them
    -- (a rule function not created yet is granted by the next run)
    v_functions regprocedure[];
BEGIN
    PERFORM outreach._write_generated_function(
        'outreach._hub_required_total()', 'RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE',
        $q$SELECT format('SELECT %s::bigint', count(*)) FROM outreach.hub_registry hr WHERE hr.is_required$q$,
        'Internal: how many hubs of outreach.hub_registry are required, a constant written by outreach._write_hub_totals() (docs/maintained-eligibility.md). Inlinable.');
    PERFORM outreach._write_generated_function(
        'outreach._hub_optional_total()', 'RETURNS bigint LANGUAGE sql STABLE PARALLEL SAFE',
        $q$SELECT format('SELECT %s::bigint', count(*)) FROM outreach.hub_registry hr WHERE NOT hr.is_required$q$,
        'Internal: how many hubs of outreach.hub_registry are optional, a constant written by outreach._write_hub_totals() (docs/maintained-eligibility.md). Inlinable.');
    -- Who may execute them: exactly the roles that may read the eligibility views
    -- that call them (an inlined function's EXECUTE privilege is checked for the
    -- querying role when the query is planned). The views' own GRANTs are the one
    -- list. `pyctl migrate` creates the views after this file, so
    -- vw_marketing_eligibility_with_overrides.sql runs this again once both exist;
    -- until then (no views) the grants the functions have are kept (CREATE OR
    -- REPLACE keeps a function's privileges).
    IF to_regclass('outreach.vw_marketing_eligibility') IS NULL
       OR to_regclass('outreach.vw_marketing_eligibility_with_overrides') IS NULL THEN
        RETURN;
    END IF;
    v_functions := array_remove(ARRAY[to_regprocedure('outreach._hub_required_total()'),
                                      to_regprocedure('outreach._hub_optional_total()'),
                                      to_regprocedure('outreach._eligibility_tier_reason(text, integer, integer, integer, boolean)'),
                                      to_regprocedure('outreach._eligibility_tier(text, integer, integer, integer, boolean)')],
                              NULL);
    -- every role that reads a view gets EXECUTE; every other role that has it loses it
    FOR v_role, v_reads IN
        WITH readers AS (
            SELECT a.grantee
              FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
             WHERE c.oid IN ('outreach.vw_marketing_eligibility'::regclass,
                             'outreach.vw_marketing_eligibility_with_overrides'::regclass)
               AND a.privilege_type = 'SELECT' AND a.grantee <> 0 AND a.grantee <> c.relowner),
        holders AS (
            SELECT a.grantee
              FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a
             WHERE p.oid = ANY (v_functions)
               AND a.grantee <> 0 AND a.grantee <> p.proowner)
        SELECT DISTINCT ro.rolname, r.grantee IS NOT NULL
          FROM readers r FULL JOIN holders h ON h.grantee = r.grantee
          JOIN pg_roles ro ON ro.oid = coalesce(r.grantee, h.grantee)
    LOOP
        IF v_reads THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', array_to_string(v_functions, ', '), v_role);
        ELSE
            EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %I', array_to_string(v_functions, ', '), v_role);
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION outreach._write_hub_totals() IS
    'Internal: (re)writes outreach._hub_required_total() and outreach._hub_optional_total(), constant functions holding the counts of required and optional hubs of outreach.hub_registry; they and the tier rule''s functions (outreach._eligibility_tier_reason, outreach._eligibility_tier) are executable by exactly the roles that may read vw_marketing_eligibility or vw_marketing_eligibility_with_overrides; run by every pyctl migrate and by the registry''s statement trigger (docs/maintained-eligibility.md).';
REVOKE ALL ON FUNCTION outreach._write_hub_totals() FROM PUBLIC;
DO $$
BEGIN
    PERFORM outreach._write_hub_totals();
END
$$;
