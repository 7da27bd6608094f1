-- outreach.vw_marketing_eligibility: computed_tier per spine company (docs/reference/hubs.md),
-- before overrides. THE one definition of the tier rule: shq.fn_is_tier*_ read this view.
-- Every input is merged in company_unique_id order (indexes of db/0100, 0101).
CREATE OR REPLACE VIEW outreach.vw_marketing_eligibility AS
SELECT o.company_unique_id,
       o.outreach_id,
       ci.eligibility_status,
       ct.outreach_status,
       -- The tier table (docs/reference/hubs.md), first rule that matches. The same five conditions, in the same
       -- order, give tier_reason below; written twice rather than derived one
       -- from the other so that each column evaluates them once per row.
       CASE
           -- fail closed: anything CL does not call ELIGIBLE is tier -1
           WHEN ci.eligibility_status IS DISTINCT FROM 'ELIGIBLE'                 THEN -1
           WHEN r.required_bad > 0                                                THEN -1
           -- a missing required row (no target yet) is not PASS: tier 0
           WHEN coalesce(r.passed - r.optional_passed, 0)
                < (SELECT count(*) FROM outreach.hub_registry h WHERE h.is_required)     THEN 0
           WHEN coalesce(r.optional_passed, 0)
                < (SELECT count(*) FROM outreach.hub_registry h WHERE NOT h.is_required) THEN 1
           WHEN vp.company_unique_id IS NULL                                      THEN 2
           ELSE 3
       END AS computed_tier,
       CASE
           WHEN ci.eligibility_status IS DISTINCT FROM 'ELIGIBLE'                 THEN 'CL_INELIGIBLE'
           WHEN r.required_bad > 0                                                THEN 'REQUIRED_HUB_FAILED'
           WHEN coalesce(r.passed - r.optional_passed, 0)
                < (SELECT count(*) FROM outreach.hub_registry h WHERE h.is_required)     THEN 'IN_PROGRESS'
           WHEN coalesce(r.optional_passed, 0)
                < (SELECT count(*) FROM outreach.hub_registry h WHERE NOT h.is_required) THEN 'MARKETING_READY'
           WHEN vp.company_unique_id IS NULL                                      THEN 'ENRICHMENT_COMPLETE'
           ELSE 'CAMPAIGN_READY'
       END AS tier_reason,
       bs.score AS bit_score,
       bs.score_tier
  FROM outreach.outreach o
  JOIN cl.company_identity ci ON ci.company_unique_id = o.company_unique_id
  LEFT JOIN outreach.company_target ct ON ct.company_unique_id = o.company_unique_id
  LEFT JOIN outreach._hub_rollup r ON r.company_unique_id = o.company_unique_id
  LEFT JOIN outreach._verified_people vp ON vp.company_unique_id = o.company_unique_id
  LEFT JOIN outreach.bit_scores bs
         ON bs.company_unique_id = o.company_unique_id AND bs.outreach_id = o.outreach_id;
COMMENT ON VIEW outreach.vw_marketing_eligibility IS
    'Per spine company: CL eligibility, outreach_status, computed_tier (-1..3) and tier_reason (CL_INELIGIBLE, REQUIRED_HUB_FAILED, IN_PROGRESS, MARKETING_READY, ENRICHMENT_COMPLETE, CAMPAIGN_READY) by the tier rule, BIT score. Not for marketing decisions: read vw_marketing_eligibility_with_overrides.';
GRANT SELECT ON outreach.vw_marketing_eligibility TO outreach_reader, outreach_governor, outreach_hub_writer, outreach_sender;
