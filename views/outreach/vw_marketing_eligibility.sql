-- outreach.vw_marketing_eligibility: computed_tier per spine company (docs/reference/hubs.md),
-- before overrides. shq.fn_is_tier*_ read this view. The tier rule itself is
-- outreach._company_eligibility_tier (its one definition); this view shows the contract's columns of it.
CREATE OR REPLACE VIEW outreach.vw_marketing_eligibility AS
SELECT t.company_unique_id,
       t.outreach_id,
       t.eligibility_status,
       t.outreach_status,
       t.computed_tier,
       t.tier_reason,
       t.bit_score,
       t.score_tier
  FROM outreach._company_eligibility_tier t;
COMMENT ON VIEW outreach.vw_marketing_eligibility IS
    'Per spine company: CL eligibility, outreach_status, computed_tier (-1..3) and tier_reason (CL_INELIGIBLE, REQUIRED_HUB_FAILED, IN_PROGRESS, MARKETING_READY, ENRICHMENT_COMPLETE, CAMPAIGN_READY) by the tier rule (docs/reference/hubs.md), BIT score; read from the maintained row outreach.company_eligibility. Not for marketing decisions: read vw_marketing_eligibility_with_overrides.';
GRANT SELECT ON outreach.vw_marketing_eligibility TO outreach_reader, outreach_governor, outreach_hub_writer, outreach_sender;
