-- shq.fn_is_tier3_campaign_ready: computed_tier >= 3 in outreach.vw_marketing_eligibility
-- (campaign ready: tier 2 and a verified person in a filled slot). False for an unknown or NULL outreach_id.
CREATE OR REPLACE FUNCTION shq.fn_is_tier3_campaign_ready(p_outreach_id uuid)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(shq._computed_tier(p_outreach_id) >= 3, false);
$$;
COMMENT ON FUNCTION shq.fn_is_tier3_campaign_ready(uuid) IS
    'True iff the company''s computed_tier >= 3 (campaign ready: tier 2 and a verified person in a filled slot), read from outreach.vw_marketing_eligibility so the two agree by construction; false for an unknown id (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION shq.fn_is_tier3_campaign_ready(uuid) TO outreach_governor;
