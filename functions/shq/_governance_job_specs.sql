-- shq._governance_job_specs: the pg_cron jobs of the governance core, by name (docs/reference/governance.md):
-- schedule, command and period (for the overdue check). The one list scheduling and health read.
CREATE OR REPLACE FUNCTION shq._governance_job_specs()
RETURNS TABLE (job_name text, schedule text, command text, period interval)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    -- pg_cron reads schedules in GMT: 03:00 UTC daily, Sundays 03:30 UTC.
    SELECT v.job_name, v.schedule, v.command, v.period
      FROM (VALUES
            (1, 'outreach-error-governance-daily', '0 3 * * *',
             'SELECT * FROM shq.fn_run_error_governance_jobs()', interval '1 day'),
            (2, 'outreach-archive-cleanup-weekly', '30 3 * * 0',
             'SELECT * FROM shq.fn_cleanup_expired_archives()', interval '7 days'),
            (3, 'outreach-cron-history-prune-daily', '15 3 * * *',
             'DELETE FROM cron.job_run_details WHERE coalesce(end_time, start_time) < now() - interval ''30 days''',
             interval '1 day')) AS v(ord, job_name, schedule, command, period)
    UNION ALL
    -- the audit sealing job, once the tamper-evidence function exists
    SELECT 'outreach-audit-seal-daily', '45 2 * * *', 'SELECT * FROM shq.fn_seal_audit_tables()', interval '1 day'
     WHERE EXISTS (SELECT 1 FROM pg_proc p
                    WHERE p.pronamespace = to_regnamespace('shq') AND p.proname = 'fn_seal_audit_tables'
                      AND p.pronargs = p.pronargdefaults)
    UNION ALL
    -- the metric snapshots (tier distribution, alignment, BIT ages, job health), once their function exists
    SELECT 'outreach-metrics-snapshot', '*/5 * * * *', 'SELECT * FROM shq.fn_refresh_metrics_snapshot()',
           interval '5 minutes'
     WHERE to_regprocedure('shq.fn_refresh_metrics_snapshot()') IS NOT NULL
    UNION ALL
    -- the outbox: retention of acknowledged events, hourly (docs/consuming-events.md)
    SELECT 'outreach-outbox-retention-hourly', '20 * * * *', 'SELECT * FROM outreach.fn_outbox_archive_acked()',
           interval '1 hour'
     WHERE to_regprocedure('outreach.fn_outbox_archive_acked(interval, integer, integer)') IS NOT NULL
    UNION ALL
    -- the outbox: tiers that moved without a write (override expiry, verified people), daily
    SELECT 'outreach-outbox-tiers-daily', '0 4 * * *', 'SELECT outreach.fn_outbox_reconcile_tiers()', interval '1 day'
     WHERE to_regprocedure('outreach.fn_outbox_reconcile_tiers()') IS NOT NULL;
$$;
COMMENT ON FUNCTION shq._governance_job_specs() IS
    'Private: the governance core''s pg_cron jobs (name, cron schedule in GMT, command, period): error governance daily, archive cleanup weekly, cron history prune daily, audit sealing daily when shq.fn_seal_audit_tables exists, metric snapshots every 5 minutes when shq.fn_refresh_metrics_snapshot exists, outbox retention hourly and outbox tier reconciliation daily when their functions exist (docs/reference/governance.md, docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION shq._governance_job_specs() TO outreach_governor, outreach_reader;
