-- shq.vw_metrics_blocking: metric family outreach_blocking: blocking errors (RETRY or PARKED) per
-- governed table and the age of the oldest (SPEC §7; docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_blocking AS
SELECT g.table_name,
       sum(g.errors)::bigint AS errors,
       extract(epoch FROM now() - min(g.oldest_created_at))::double precision AS oldest_age_seconds
  FROM shq._metrics_governed_errors() AS g
 WHERE g.disposition IN ('RETRY', 'PARKED')
 GROUP BY g.table_name;
COMMENT ON VIEW shq.vw_metrics_blocking IS
    'Blocking errors (disposition RETRY or PARKED: they hold back promotion) per governed table, and how old the oldest one is; a table with none has no row.';
COMMENT ON COLUMN shq.vw_metrics_blocking.table_name IS 'LABEL: governed error table, schema-qualified';
COMMENT ON COLUMN shq.vw_metrics_blocking.errors IS 'GAUGE: blocking errors (RETRY or PARKED) in this table';
COMMENT ON COLUMN shq.vw_metrics_blocking.oldest_age_seconds IS 'GAUGE: seconds since the oldest blocking error was created';
GRANT SELECT ON shq.vw_metrics_blocking TO outreach_monitor, outreach_governor;
