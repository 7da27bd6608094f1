-- shq.fn_is_tier2_enrichment_complete: computed_tier >= 2 in outreach.vw_marketing_eligibility
-- (enrichment complete: every hub PASS; SPEC §3, §8, §16.6). False for an unknown or NULL outreach_id.
CREATE OR REPLACE FUNCTION shq.fn_is_tier2_enrichment_complete(p_outreach_id uuid)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT e.computed_tier >= 2
                       FROM outreach.outreach o
                      CROSS JOIN LATERAL (
                             -- by company_unique_id, the view's index path; OFFSET 0 keeps
                             -- the subquery from being flattened, so the id reaches its GROUP BYs
                             SELECT v.computed_tier FROM outreach.vw_marketing_eligibility v
                              WHERE v.company_unique_id = o.company_unique_id OFFSET 0) e
                      WHERE o.outreach_id = p_outreach_id), false);
$$;
COMMENT ON FUNCTION shq.fn_is_tier2_enrichment_complete(uuid) IS
    'True iff the company''s computed_tier >= 2 (enrichment complete: every hub PASS), read from outreach.vw_marketing_eligibility so the two agree by construction; false for an unknown id (SPEC §8, §16.6).';
GRANT EXECUTE ON FUNCTION shq.fn_is_tier2_enrichment_complete(uuid) TO outreach_governor;
