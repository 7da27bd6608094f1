-- shq.vw_promotion_readiness_summary: companies per readiness_tier (docs/reference/hubs.md).
-- A summary view.
CREATE OR REPLACE VIEW shq.vw_promotion_readiness_summary AS
SELECT r.readiness_tier,
       count(*) AS companies
  FROM shq.vw_promotion_readiness r
 GROUP BY r.readiness_tier;
COMMENT ON VIEW shq.vw_promotion_readiness_summary IS
    'Summary: spine companies per readiness_tier (-1..3; tiers with no company have no row) (docs/reference/hubs.md).';
GRANT SELECT ON shq.vw_promotion_readiness_summary TO outreach_governor, outreach_reader;
