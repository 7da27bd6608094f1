-- outreach._eligibility_tier_reason: THE tier rule (docs/reference/hubs.md), first condition that
-- matches, over the clock-independent inputs of one company. outreach._eligibility_tier maps its
-- reason to the tier; the maintained row stores the tier, the views add the reason on read.
CREATE OR REPLACE FUNCTION outreach._eligibility_tier_reason(p_eligibility_status text, p_required_failed integer,
                                                             p_required_passed integer, p_optional_passed integer,
                                                             p_has_campaign_ready_person boolean)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
-- The hub totals inside are constants of the registry (outreach._write_hub_totals), folded into the plan.
AS $$
    SELECT CASE
               -- fail closed: anything CL does not call ELIGIBLE (NULL included) is tier -1
               WHEN NOT coalesce(p_eligibility_status OPERATOR(pg_catalog.=) 'ELIGIBLE'::pg_catalog.text, false) THEN 'CL_INELIGIBLE'
               WHEN p_required_failed OPERATOR(pg_catalog.>) 0 THEN 'REQUIRED_HUB_FAILED'
               -- a missing required row (no target yet) is not PASS: tier 0
               WHEN p_required_passed OPERATOR(pg_catalog.<) outreach._hub_required_total() THEN 'IN_PROGRESS'
               WHEN p_optional_passed OPERATOR(pg_catalog.<) outreach._hub_optional_total() THEN 'MARKETING_READY'
               WHEN NOT p_has_campaign_ready_person THEN 'ENRICHMENT_COMPLETE'
               ELSE 'CAMPAIGN_READY'
           END;
$$;
COMMENT ON FUNCTION outreach._eligibility_tier_reason(text, integer, integer, integer, boolean) IS
    'Internal: the tier rule''s one definition (docs/reference/hubs.md): the tier_reason of a company from its CL eligibility, its required hubs failed and passed, its optional hubs passed and whether it has a campaign-ready person. Inlinable.';
REVOKE ALL ON FUNCTION outreach._eligibility_tier_reason(text, integer, integer, integer, boolean) FROM PUBLIC;
