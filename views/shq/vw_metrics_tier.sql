-- shq.vw_metrics_tier: metric family outreach_tier: companies by effective tier, from the tier
-- snapshot (scanning the authoritative view takes seconds at a million companies; docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_tier AS
SELECT (t.value ->> 'effective_tier') AS effective_tier,
       (t.value ->> 'companies')::bigint AS companies
  FROM shq.metrics_snapshot AS s
 CROSS JOIN LATERAL jsonb_array_elements(s.data -> 'rows') AS t(value)
 WHERE s.name = 'tier';
COMMENT ON VIEW shq.vw_metrics_tier IS
    'Companies by effective tier (outreach.vw_tier_distribution), as of the last metric snapshot; its age is outreach_snapshot_age_seconds{snapshot="tier"}.';
COMMENT ON COLUMN shq.vw_metrics_tier.effective_tier IS 'LABEL: effective tier, -1 (ineligible/blocked) to 3 (campaign ready)';
COMMENT ON COLUMN shq.vw_metrics_tier.companies IS 'GAUGE: spine companies at this effective tier (snapshot)';
GRANT SELECT ON shq.vw_metrics_tier TO outreach_monitor, outreach_governor;
