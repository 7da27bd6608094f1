-- shq.fn_check_dol_done: DOL is DONE when its outreach.dol row has an ein and filing_present (docs/reference/hubs.md).
-- False for an unknown or NULL outreach_id; never raises.
CREATE OR REPLACE FUNCTION shq.fn_check_dol_done(p_outreach_id uuid)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT d.dol_done FROM shq._done_states d WHERE d.outreach_id = p_outreach_id), false);
$$;
COMMENT ON FUNCTION shq.fn_check_dol_done(uuid) IS
    'DONE checker: DOL is DONE when its outreach.dol row has an ein and filing_present; false for an unknown id (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION shq.fn_check_dol_done(uuid) TO outreach_governor;
