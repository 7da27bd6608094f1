-- shq.fn_is_tier1_marketing_ready: computed_tier >= 1 in outreach.vw_marketing_eligibility
-- (marketing ready: every required hub PASS). False for an unknown or NULL outreach_id.
CREATE OR REPLACE FUNCTION shq.fn_is_tier1_marketing_ready(p_outreach_id uuid)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(shq._computed_tier(p_outreach_id) >= 1, false);
$$;
COMMENT ON FUNCTION shq.fn_is_tier1_marketing_ready(uuid) IS
    'True iff the company''s computed_tier >= 1 (marketing ready: every required hub PASS), read from outreach.vw_marketing_eligibility so the two agree by construction; false for an unknown id (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION shq.fn_is_tier1_marketing_ready(uuid) TO outreach_governor;
