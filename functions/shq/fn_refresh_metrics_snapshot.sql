-- shq.fn_refresh_metrics_snapshot: refresh the metric snapshots (tier distribution, spine
-- alignment, BIT score ages, job health); pg_cron runs it every 5 minutes (docs/monitoring.md).
CREATE OR REPLACE FUNCTION shq.fn_refresh_metrics_snapshot()
RETURNS TABLE (name text, refreshed boolean, duration_ms numeric, detail text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- SECURITY INVOKER on purpose: the job health is read with the caller's rights,
-- because pg_cron shows each role only its own jobs. Run as the role that
-- scheduled the jobs (pg_cron does), it records what that role sees; the
-- rest is computed by the SECURITY DEFINER shq._store_metrics_snapshot.
DECLARE
    v_started timestamptz := clock_timestamp();
    v_jobs jsonb;
BEGIN
    SELECT coalesce(jsonb_agg(to_jsonb(h) ORDER BY h.job_name), '[]') INTO v_jobs
      FROM shq.vw_governance_job_health AS h;
    RETURN QUERY
        SELECT * FROM shq._store_metrics_snapshot(
            v_jobs, round(extract(epoch FROM clock_timestamp() - v_started) * 1000, 1));
END
$$;
COMMENT ON FUNCTION shq.fn_refresh_metrics_snapshot() IS
    'Recomputes the metric snapshots read by the shq.vw_metrics_* views (companies by effective tier, spine alignment, BIT score ages, pg_cron job health as the calling role sees it); one row per snapshot: refreshed or why not, and milliseconds taken. Scheduled every 5 minutes by shq.fn_schedule_governance_jobs().';
GRANT EXECUTE ON FUNCTION shq.fn_refresh_metrics_snapshot() TO outreach_governor;
