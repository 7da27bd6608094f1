-- shq.fn_has_blocking_company_target_errors: does the outreach_id have blocking errors (disposition RETRY or
-- PARKED) in outreach.company_target_errors (docs/reference/governance.md)? False for an unknown or NULL id.
CREATE OR REPLACE FUNCTION shq.fn_has_blocking_company_target_errors(p_outreach_id uuid)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1 FROM shq._blocking_errors e
                    WHERE e.outreach_id = p_outreach_id AND e.table_name = 'outreach.company_target_errors');
$$;
COMMENT ON FUNCTION shq.fn_has_blocking_company_target_errors(uuid) IS
    'Blocking-error checker: true when outreach.company_target_errors holds a RETRY or PARKED row for the outreach_id (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION shq.fn_has_blocking_company_target_errors(uuid) TO outreach_governor;
