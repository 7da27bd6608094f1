-- shq.fn_check_company_target_done: Company Target is DONE when execution_status is 'ready' and email_method, confidence_score and imo_completed_at are all set (docs/reference/hubs.md).
-- False for an unknown or NULL outreach_id; never raises.
CREATE OR REPLACE FUNCTION shq.fn_check_company_target_done(p_outreach_id uuid)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT d.company_target_done FROM shq._done_states d WHERE d.outreach_id = p_outreach_id), false);
$$;
COMMENT ON FUNCTION shq.fn_check_company_target_done(uuid) IS
    'DONE checker: Company Target is DONE when execution_status is ''ready'' and email_method, confidence_score and imo_completed_at are all set; false for an unknown id (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION shq.fn_check_company_target_done(uuid) TO outreach_governor;
