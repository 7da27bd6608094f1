-- shq._computed_tier: one company's computed_tier, read from outreach.vw_marketing_eligibility
-- (docs/reference/hubs.md); NULL for an unknown or NULL outreach_id. The three tier functions compare it.
CREATE OR REPLACE FUNCTION shq._computed_tier(p_outreach_id uuid)
RETURNS integer
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT e.computed_tier
      FROM outreach.outreach o
     CROSS JOIN LATERAL (
            -- by company_unique_id, the view's index path; OFFSET 0 keeps
            -- the subquery from being flattened, so the id reaches its GROUP BYs
            SELECT v.computed_tier FROM outreach.vw_marketing_eligibility v
             WHERE v.company_unique_id = o.company_unique_id OFFSET 0) e
     WHERE o.outreach_id = p_outreach_id;
$$;
COMMENT ON FUNCTION shq._computed_tier(uuid) IS
    'Private: the computed_tier of outreach.vw_marketing_eligibility for one outreach_id (NULL when unknown); the one lookup behind shq.fn_is_tier1/2/3_* (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION shq._computed_tier(uuid) TO outreach_governor;
