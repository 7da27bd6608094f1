-- outreach._outbox_current_tiers: the effective tier of each of the given companies now, from the
-- authoritative view; the one tier source of TIER_CHANGED (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach._outbox_current_tiers(p_company_ids text[])
RETURNS TABLE (company_unique_id text, outreach_id uuid, effective_tier integer, computed_tier integer,
               tier_reason text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
-- A company outside the spine has no tier and no row. Two plans, one
-- result: a few companies are looked up one by one (the view's index path:
-- the id reaches its GROUP BYs, as in the gate); many are read in one pass
-- over the view (a hash join), which beats a million lookups.
BEGIN
    IF cardinality(p_company_ids) <= 1000 THEN
        RETURN QUERY
            SELECT c.id, v.outreach_id, v.effective_tier, v.computed_tier, v.tier_reason
              FROM (SELECT DISTINCT u.id FROM unnest(p_company_ids) AS u(id)) AS c
             CROSS JOIN LATERAL (
                   SELECT w.outreach_id, w.effective_tier, w.computed_tier, w.tier_reason
                     FROM outreach.vw_marketing_eligibility_with_overrides w
                    WHERE w.company_unique_id = c.id OFFSET 0) AS v;
    ELSE
        RETURN QUERY
            SELECT w.company_unique_id, w.outreach_id, w.effective_tier, w.computed_tier, w.tier_reason
              FROM outreach.vw_marketing_eligibility_with_overrides w
             WHERE w.company_unique_id IN (SELECT u.id FROM unnest(p_company_ids) AS u(id));
    END IF;
END
$$;
COMMENT ON FUNCTION outreach._outbox_current_tiers(text[]) IS
    'Internal: effective_tier, computed_tier and tier_reason now (outreach.vw_marketing_eligibility_with_overrides) of the given spine companies: one lookup each for up to 1000, one pass over the view for more. The tier source of outreach._outbox_tier_changes.';
