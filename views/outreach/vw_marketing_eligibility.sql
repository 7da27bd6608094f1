-- outreach.vw_marketing_eligibility: computed_tier per spine company (docs/reference/hubs.md),
-- before overrides. THE one definition of the tier rule: shq.fn_is_tier*_ read this view.
-- Its inputs come from the maintained row outreach.company_eligibility (one row per company,
-- kept by the input tables' triggers; docs/maintained-eligibility.md): one read per company.
CREATE OR REPLACE VIEW outreach.vw_marketing_eligibility AS
SELECT e.company_unique_id,
       e.outreach_id,
       e.eligibility_status,
       e.outreach_status,
       -- The tier table (docs/reference/hubs.md), first rule that matches. The same five conditions, in the same
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
       e.bit_score,
       e.score_tier
  -- how many hubs are required and optional: constants of the registry
  -- (outreach._write_hub_totals), folded into the plan, so a read joins nothing
  FROM outreach.company_eligibility e;
COMMENT ON VIEW outreach.vw_marketing_eligibility IS
    'Per spine company: CL eligibility, outreach_status, computed_tier (-1..3) and tier_reason (CL_INELIGIBLE, REQUIRED_HUB_FAILED, IN_PROGRESS, MARKETING_READY, ENRICHMENT_COMPLETE, CAMPAIGN_READY) by the tier rule (docs/reference/hubs.md), BIT score; read from the maintained row outreach.company_eligibility. Not for marketing decisions: read vw_marketing_eligibility_with_overrides.';
GRANT SELECT ON outreach.vw_marketing_eligibility TO outreach_reader, outreach_governor, outreach_hub_writer, outreach_sender;
