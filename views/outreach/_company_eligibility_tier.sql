-- outreach._company_eligibility_tier: the maintained eligibility row of each spine company with its
-- tier_reason (docs/reference/hubs.md). vw_marketing_eligibility shows its contract's columns,
-- vw_marketing_eligibility_with_overrides adds the overrides to it. The row (outreach.company_eligibility,
-- kept by the input tables' triggers; docs/maintained-eligibility.md) stores computed_tier, written with
-- its inputs by the rule's one definition (outreach._eligibility_tier_reason), so a read that asks for the
-- tier (every safety-gate check) applies no rule; the reason is derived here, by the same function, only
-- for a read that asks for it.
CREATE OR REPLACE VIEW outreach._company_eligibility_tier AS
SELECT outreach._eligibility_tier_reason(e.eligibility_status, e.required_failed, e.required_passed,
                                         e.optional_passed, e.has_campaign_ready_person) AS tier_reason,
       -- the row whole, computed_tier included: a column added to the table
       -- lands at the end of this view when it is created again
       e.*
  -- how many hubs are required and optional: constants of the registry
  -- (outreach._write_hub_totals), folded into the plan, so a read joins nothing
  FROM outreach.company_eligibility e;
COMMENT ON VIEW outreach._company_eligibility_tier IS
    'Internal: the maintained row outreach.company_eligibility of each spine company (computed_tier -1..3 included) with tier_reason by the tier rule (outreach._eligibility_tier_reason, docs/reference/hubs.md). Read vw_marketing_eligibility or vw_marketing_eligibility_with_overrides.';
