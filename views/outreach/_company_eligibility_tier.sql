-- outreach._company_eligibility_tier: the maintained eligibility row of each spine company with the tier
-- rule applied (docs/reference/hubs.md). THE one definition of the tier rule: vw_marketing_eligibility
-- shows its contract's columns, vw_marketing_eligibility_with_overrides adds the overrides to it.
-- Its inputs come from the maintained row outreach.company_eligibility (one row per company,
-- kept by the input tables' triggers; docs/maintained-eligibility.md): one read per company.
CREATE OR REPLACE VIEW outreach._company_eligibility_tier AS
SELECT -- The tier table (docs/reference/hubs.md), first rule that matches. The same five conditions, in the same
       -- order, give tier_reason below; written twice rather than derived one
       -- from the other so that each column evaluates them once per row.
       CASE
           -- fail closed: anything CL does not call ELIGIBLE is tier -1
           WHEN e.eligibility_status IS DISTINCT FROM 'ELIGIBLE'        THEN -1
           WHEN e.required_failed > 0                                   THEN -1
           -- a missing required row (no target yet) is not PASS: tier 0
           WHEN e.required_passed < outreach._hub_required_total()      THEN 0
           WHEN e.optional_passed < outreach._hub_optional_total()      THEN 1
           WHEN NOT e.has_campaign_ready_person                         THEN 2
           ELSE 3
       END AS computed_tier,
       CASE
           WHEN e.eligibility_status IS DISTINCT FROM 'ELIGIBLE'        THEN 'CL_INELIGIBLE'
           WHEN e.required_failed > 0                                   THEN 'REQUIRED_HUB_FAILED'
           WHEN e.required_passed < outreach._hub_required_total()      THEN 'IN_PROGRESS'
           WHEN e.optional_passed < outreach._hub_optional_total()      THEN 'MARKETING_READY'
           WHEN NOT e.has_campaign_ready_person                         THEN 'ENRICHMENT_COMPLETE'
           ELSE 'CAMPAIGN_READY'
       END AS tier_reason,
       -- the row whole, after the rule's columns: a column added to the table
       -- lands at the end of this view when it is created again
       e.*
  -- how many hubs are required and optional: constants of the registry
  -- (outreach._write_hub_totals), folded into the plan, so a read joins nothing
  FROM outreach.company_eligibility e;
COMMENT ON VIEW outreach._company_eligibility_tier IS
    'Internal: the maintained row outreach.company_eligibility of each spine company with computed_tier (-1..3) and tier_reason by the tier rule (docs/reference/hubs.md), the rule''s one definition. Read vw_marketing_eligibility or vw_marketing_eligibility_with_overrides.';
