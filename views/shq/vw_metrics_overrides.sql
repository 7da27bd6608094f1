-- shq.vw_metrics_overrides: metric family outreach_overrides: active kill-switch overrides by type
-- (docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_overrides AS
SELECT m.override_type,
       count(*) AS active
  FROM outreach.manual_overrides AS m
 WHERE m.removed_at IS NULL AND (m.expires_at IS NULL OR m.expires_at > now())
 GROUP BY m.override_type;
COMMENT ON VIEW shq.vw_metrics_overrides IS
    'Active manual overrides (not removed, not expired) by override_type; a type with none has no row.';
COMMENT ON COLUMN shq.vw_metrics_overrides.override_type IS 'LABEL: BLOCK_OUTREACH, BLOCK_EMAIL, BLOCK_PHONE or FORCE_TIER';
COMMENT ON COLUMN shq.vw_metrics_overrides.active IS 'GAUGE: active overrides of this type';
GRANT SELECT ON shq.vw_metrics_overrides TO outreach_monitor, outreach_governor;
