-- outreach.vw_tier_distribution: how many spine companies sit at each
-- effective_tier (docs/reference/hubs.md). A summary view.
CREATE OR REPLACE VIEW outreach.vw_tier_distribution AS
SELECT v.effective_tier,
       count(*)                                                          AS companies,
       round(100.0 * count(*) / sum(count(*)) OVER (), 2)                AS pct
  FROM outreach.vw_marketing_eligibility_with_overrides v
 GROUP BY v.effective_tier;
COMMENT ON VIEW outreach.vw_tier_distribution IS
    'Summary: companies per effective_tier and their share in percent (two decimals) of all spine companies (docs/reference/hubs.md).';
GRANT SELECT ON outreach.vw_tier_distribution TO outreach_reader, outreach_governor;
