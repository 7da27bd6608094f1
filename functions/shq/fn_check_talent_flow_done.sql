-- shq.fn_check_talent_flow_done: Talent Flow is DONE when its outreach.talent_flow row has last_scan_at set (docs/reference/hubs.md).
-- False for an unknown or NULL outreach_id; never raises.
CREATE OR REPLACE FUNCTION shq.fn_check_talent_flow_done(p_outreach_id uuid)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT d.talent_flow_done FROM shq._done_states d WHERE d.outreach_id = p_outreach_id), false);
$$;
COMMENT ON FUNCTION shq.fn_check_talent_flow_done(uuid) IS
    'DONE checker: Talent Flow is DONE when its outreach.talent_flow row has last_scan_at set; false for an unknown id (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION shq.fn_check_talent_flow_done(uuid) TO outreach_governor;
