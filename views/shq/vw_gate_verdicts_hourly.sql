-- shq.vw_gate_verdicts_hourly: safety-gate verdicts per hour over the last 24 hours, dry runs left
-- out (the state report's "gate verdicts over time"; docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_gate_verdicts_hourly AS
SELECT date_trunc('hour', a.attempt_timestamp) AS hour_start,
       coalesce(a.block_reason, 'CLEARED') AS verdict,
       count(*) AS attempts
  FROM outreach.send_attempt_audit AS a
 WHERE a.attempt_timestamp >= date_trunc('hour', now()) - interval '23 hours' AND NOT a.is_dry_run
 GROUP BY 1, 2;
COMMENT ON VIEW shq.vw_gate_verdicts_hourly IS
    'Safety-gate checks (dry runs excluded) per hour of the last 24 (the current hour included, so far) and verdict: CLEARED or the block_reason; an hour without checks has no row.';
GRANT SELECT ON shq.vw_gate_verdicts_hourly TO outreach_governor, outreach_monitor;
