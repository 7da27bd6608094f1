-- shq.vw_metrics_job: metric family outreach_job: the governance pg_cron jobs' last success, last
-- failure and health, from the job snapshot (docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_job AS
-- pg_cron shows each role only its own jobs, so the job health is read by the
-- snapshot job (running as the role that scheduled the jobs), not by the scrape
SELECT j.value ->> 'job_name' AS job_name,
       CASE WHEN j.value ->> 'job_id' IS NOT NULL AND (j.value ->> 'active')::boolean THEN 1 ELSE 0 END AS scheduled,
       CASE WHEN j.value ->> 'status' IN ('PG_CRON_NO_ACCESS', 'NOT_VISIBLE') THEN 0 ELSE 1 END AS visible,
       CASE WHEN j.value ->> 'status' = 'FAILED' THEN 1 ELSE 0 END AS last_run_failed,
       CASE WHEN (j.value ->> 'overdue')::boolean THEN 1 ELSE 0 END AS overdue,
       extract(epoch FROM (j.value ->> 'last_run_at')::timestamptz)::double precision AS last_run_timestamp_seconds,
       extract(epoch FROM (j.value ->> 'last_success_at')::timestamptz)::double precision
           AS last_success_timestamp_seconds,
       extract(epoch FROM (j.value ->> 'last_failure_at')::timestamptz)::double precision
           AS last_failure_timestamp_seconds,
       (j.value ->> 'failures')::bigint AS failures_30d,
       extract(epoch FROM (j.value ->> 'period')::interval)::double precision AS period_seconds
  FROM shq.metrics_snapshot AS s
 CROSS JOIN LATERAL jsonb_array_elements(s.data -> 'rows') AS j(value)
 WHERE s.name = 'job';
COMMENT ON VIEW shq.vw_metrics_job IS
    'The governance pg_cron jobs (shq.vw_governance_job_health as the snapshot job''s role saw it, last metric snapshot): scheduled, visible, last run failed, overdue, last run/success/failure times, failures in 30 days, period.';
COMMENT ON COLUMN shq.vw_metrics_job.job_name IS 'LABEL: pg_cron job name (outreach-error-governance-daily, ...)';
COMMENT ON COLUMN shq.vw_metrics_job.scheduled IS 'GAUGE: 1 when the job is registered and active in pg_cron, else 0';
COMMENT ON COLUMN shq.vw_metrics_job.visible IS 'GAUGE: 0 when the snapshot''s role could not read this job in pg_cron (no USAGE on schema cron, or another role scheduled it)';
COMMENT ON COLUMN shq.vw_metrics_job.last_run_failed IS 'GAUGE: 1 when the job''s last run failed';
COMMENT ON COLUMN shq.vw_metrics_job.overdue IS 'GAUGE: 1 when the job has not succeeded within twice its period';
COMMENT ON COLUMN shq.vw_metrics_job.last_run_timestamp_seconds IS 'GAUGE: start of the last run (Unix time; NaN when never)';
COMMENT ON COLUMN shq.vw_metrics_job.last_success_timestamp_seconds IS 'GAUGE: end of the last successful run (Unix time; NaN when never)';
COMMENT ON COLUMN shq.vw_metrics_job.last_failure_timestamp_seconds IS 'GAUGE: end of the last failed run (Unix time; NaN when never)';
COMMENT ON COLUMN shq.vw_metrics_job.failures_30d IS 'GAUGE: failed runs in the last 30 days';
COMMENT ON COLUMN shq.vw_metrics_job.period_seconds IS 'GAUGE: the job''s period (its schedule''s interval)';
GRANT SELECT ON shq.vw_metrics_job TO outreach_monitor, outreach_governor;
