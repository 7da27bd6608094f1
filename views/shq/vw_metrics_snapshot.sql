-- shq.vw_metrics_snapshot: metric family outreach_snapshot: age and cost of each metric snapshot
-- (docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_snapshot AS
SELECT s.name AS snapshot,
       extract(epoch FROM now() - s.refreshed_at)::double precision AS age_seconds,
       (s.duration_ms / 1000)::double precision AS duration_seconds
  FROM shq.metrics_snapshot AS s;
COMMENT ON VIEW shq.vw_metrics_snapshot IS
    'Each metric snapshot (tier, spine, bit, job): seconds since it was refreshed and how long computing it took. shq.fn_refresh_metrics_snapshot() refreshes them (pg_cron, every 5 minutes).';
COMMENT ON COLUMN shq.vw_metrics_snapshot.snapshot IS 'LABEL: tier, spine, bit or job';
COMMENT ON COLUMN shq.vw_metrics_snapshot.age_seconds IS 'GAUGE: seconds since the snapshot was refreshed';
COMMENT ON COLUMN shq.vw_metrics_snapshot.duration_seconds IS 'GAUGE: seconds its last refresh took';
GRANT SELECT ON shq.vw_metrics_snapshot TO outreach_monitor, outreach_governor;
