-- shq.vw_metrics_governed: metric family outreach_governed: governed errors by table, disposition
-- and escalation level (SPEC §7; docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_governed AS
SELECT g.table_name,
       g.disposition,
       g.escalation_level::text AS escalation_level,
       g.errors
  FROM shq._metrics_governed_errors() AS g;
COMMENT ON VIEW shq.vw_metrics_governed IS
    'Rows of every governed error table (shq.governed_error_tables) by table, disposition and escalation_level; archived rows live in the archive tables and are not counted.';
COMMENT ON COLUMN shq.vw_metrics_governed.table_name IS 'LABEL: governed error table, schema-qualified';
COMMENT ON COLUMN shq.vw_metrics_governed.disposition IS 'LABEL: RETRY, PARKED, ARCHIVED, IGNORE or RESOLVED';
COMMENT ON COLUMN shq.vw_metrics_governed.escalation_level IS 'LABEL: 0 to 3 (parked 24 h, 72 h, 7 days)';
COMMENT ON COLUMN shq.vw_metrics_governed.errors IS 'GAUGE: errors in this table, disposition and escalation level';
GRANT SELECT ON shq.vw_metrics_governed TO outreach_monitor, outreach_governor;
