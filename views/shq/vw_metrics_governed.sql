-- shq.vw_metrics_governed: metric family outreach_governed: governed errors by table, disposition
-- and escalation level, and the age of the oldest in each (docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_governed AS
-- one pass over each governed table (shq._metrics_governed_errors); the oldest
-- blocking error of a table is the oldest of its RETRY and PARKED groups (the
-- recording rule outreach:blocking_errors_oldest_age_seconds:max)
SELECT g.table_name,
       g.disposition,
       g.escalation_level::text AS escalation_level,
       g.errors,
       extract(epoch FROM now() - g.oldest_created_at)::double precision AS oldest_age_seconds
  FROM shq._metrics_governed_errors() AS g;
COMMENT ON VIEW shq.vw_metrics_governed IS
    'Rows of every governed error table (shq.governed_error_tables) by table, disposition and escalation_level, with the age of the oldest; archived rows live in the archive tables and are not counted.';
COMMENT ON COLUMN shq.vw_metrics_governed.table_name IS 'LABEL: governed error table, schema-qualified';
COMMENT ON COLUMN shq.vw_metrics_governed.disposition IS 'LABEL: RETRY, PARKED, ARCHIVED, IGNORE or RESOLVED (RETRY and PARKED block promotion)';
COMMENT ON COLUMN shq.vw_metrics_governed.escalation_level IS 'LABEL: 0 to 3 (parked 24 h, 72 h, 7 days)';
COMMENT ON COLUMN shq.vw_metrics_governed.errors IS 'GAUGE: errors in this table, disposition and escalation level';
COMMENT ON COLUMN shq.vw_metrics_governed.oldest_age_seconds IS 'GAUGE: seconds since the oldest of them was created';
GRANT SELECT ON shq.vw_metrics_governed TO outreach_monitor, outreach_governor;
