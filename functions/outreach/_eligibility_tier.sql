-- outreach._eligibility_tier: the tier of a tier_reason of outreach._eligibility_tier_reason (the tier
-- table, docs/reference/hubs.md). The maintained row stores it (docs/maintained-eligibility.md).
-- A reason missing from the list gives NULL, which the row's NOT NULL refuses.
CREATE OR REPLACE FUNCTION outreach._eligibility_tier(p_eligibility_status text, p_required_failed integer,
                                                      p_required_passed integer, p_optional_passed integer,
                                                      p_has_campaign_ready_person boolean)
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
AS $$
    -- the reason's place in the list of reasons, in the order of the rule, picks its tier
    SELECT (ARRAY[-1, -1, 0, 1, 2, 3])[pg_catalog.array_position(
               ARRAY['CL_INELIGIBLE', 'REQUIRED_HUB_FAILED', 'IN_PROGRESS', 'MARKETING_READY', 'ENRICHMENT_COMPLETE',
                     'CAMPAIGN_READY']::pg_catalog.text[],
               outreach._eligibility_tier_reason(p_eligibility_status, p_required_failed, p_required_passed,
                                                 p_optional_passed, p_has_campaign_ready_person))];
$$;
COMMENT ON FUNCTION outreach._eligibility_tier(text, integer, integer, integer, boolean) IS
    'Internal: the computed tier (-1..3) of a company from the inputs of outreach._eligibility_tier_reason, the tier of its reason (docs/reference/hubs.md). Inlinable.';
REVOKE ALL ON FUNCTION outreach._eligibility_tier(text, integer, integer, integer, boolean) FROM PUBLIC;
