-- shq.vw_metrics_gate: metric family outreach_gate: safety-gate verdicts of the last 5 minutes and
-- the last hour, dry runs left out (docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_gate AS
-- one pass over the last hour (BRIN index on attempt_timestamp); CLEARED is
-- always present so that each window has a total even when nothing was checked
WITH recent AS (
    SELECT coalesce(a.block_reason, 'CLEARED') AS verdict,
           count(*) FILTER (WHERE a.attempt_timestamp > now() - interval '5 minutes') AS last_5m,
           count(*) AS last_1h
      FROM outreach.send_attempt_audit AS a
     WHERE a.attempt_timestamp > now() - interval '1 hour' AND NOT a.is_dry_run
     GROUP BY 1
    UNION ALL
    -- every arm names its columns: pg_dump would otherwise restore a differently worded view
    SELECT 'CLEARED' AS verdict, 0 AS last_5m, 0 AS last_1h)
SELECT w.time_window,
       h.verdict,
       sum(w.n)::bigint AS attempts
  FROM recent AS h
 CROSS JOIN LATERAL (VALUES ('5m', h.last_5m), ('1h', h.last_1h)) AS w(time_window, n)
 GROUP BY w.time_window, h.verdict;
COMMENT ON VIEW shq.vw_metrics_gate IS
    'Safety-gate checks (outreach.send_attempt_audit, dry runs excluded) in the last 5 minutes and the last hour, by verdict: CLEARED or the block_reason; a verdict not seen in the last hour has no row (CLEARED always has one).';
COMMENT ON COLUMN shq.vw_metrics_gate.time_window IS 'LABEL: 5m or 1h, the window ending now';
COMMENT ON COLUMN shq.vw_metrics_gate.verdict IS 'LABEL: CLEARED, or the block_reason of a blocked check';
COMMENT ON COLUMN shq.vw_metrics_gate.attempts IS 'GAUGE: gate checks with this verdict in the window';
GRANT SELECT ON shq.vw_metrics_gate TO outreach_monitor, outreach_governor;
