-- shq.vw_metrics_seal: metric family outreach_seal: how far sealing is behind each audited table
-- (tamper evidence; docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_seal AS
SELECT l.table_name,
       l.unsealed_rows,
       CASE WHEN l.unsealed_rows = 0 THEN 0
            ELSE extract(epoch FROM now() - l.oldest_unsealed_at)::double precision END AS oldest_unsealed_age_seconds,
       extract(epoch FROM l.last_sealed_at)::double precision AS last_seal_timestamp_seconds
  FROM shq._metrics_seal_lag() AS l;
COMMENT ON VIEW shq.vw_metrics_seal IS
    'Per audited table (shq.fn_audit_sealed_tables()): rows not sealed yet (identity values issued after the last sealed one), age of the oldest of them, time of the last seal.';
COMMENT ON COLUMN shq.vw_metrics_seal.table_name IS 'LABEL: audited (append-only) table, schema-qualified';
COMMENT ON COLUMN shq.vw_metrics_seal.unsealed_rows IS 'GAUGE: rows no seal covers yet (identity values issued after the last sealed row: an upper bound, exact when no insert rolled back)';
COMMENT ON COLUMN shq.vw_metrics_seal.oldest_unsealed_age_seconds IS 'GAUGE: seconds since the oldest unsealed row was recorded (0 when all are sealed)';
COMMENT ON COLUMN shq.vw_metrics_seal.last_seal_timestamp_seconds IS 'GAUGE: when this table was last sealed (Unix time; NaN when never)';
GRANT SELECT ON shq.vw_metrics_seal TO outreach_monitor, outreach_governor;
