-- shq.fn_governance_job_runs: each governance pg_cron job with its last run, last success, runs and
-- failures of the last 30 days, last failure (docs/reference/governance.md); rows say why when pg_cron is not available.
CREATE OR REPLACE FUNCTION shq.fn_governance_job_runs()
RETURNS TABLE (job_name text, schedule text, period interval, cron_state text, job_id bigint,
               active boolean, username text, last_run_at timestamptz, last_status text,
               last_message text, last_success_at timestamptz, runs bigint, failures bigint,
               last_failure_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_state text := shq._pg_cron_state();
    -- the schema is a variable so that nothing (plpgsql_check included) resolves it before run time
    v_cron name := 'cron';
BEGIN
    -- SECURITY INVOKER on purpose: pg_cron's row security shows each role its
    -- own jobs (superusers all); a definer would see none of them. The cron
    -- schema is only named in dynamic SQL, so this compiles without it.
    IF v_state <> 'OK' THEN
        RETURN QUERY
            SELECT s.job_name, s.schedule, s.period, v_state, NULL::bigint, NULL::boolean, NULL::text,
                   NULL::timestamptz, NULL::text, NULL::text, NULL::timestamptz, NULL::bigint, NULL::bigint,
                   NULL::timestamptz
              FROM shq._governance_job_specs() AS s;
        RETURN;
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT s.job_name, s.schedule, s.period, 'OK'::text, j.jobid, j.active, j.username::text,
               r.last_run_at, r.last_status, r.last_message, r.last_success_at,
               coalesce(r.runs, 0), coalesce(r.failures, 0), r.last_failure_at
          FROM shq._governance_job_specs() AS s
          LEFT JOIN LATERAL (SELECT cj.jobid, cj.active, cj.username
                               FROM %1$I.job AS cj
                              WHERE cj.jobname = s.job_name
                              ORDER BY cj.active DESC, cj.jobid DESC
                              LIMIT 1) AS j ON true
          LEFT JOIN LATERAL (SELECT (array_agg(d.start_time ORDER BY d.runid DESC))[1] AS last_run_at,
                                    (array_agg(d.status ORDER BY d.runid DESC))[1] AS last_status,
                                    (array_agg(d.return_message ORDER BY d.runid DESC))[1] AS last_message,
                                    max(d.end_time) FILTER (WHERE d.status = 'succeeded') AS last_success_at,
                                    count(*) FILTER (WHERE d.start_time > now() - interval '30 days') AS runs,
                                    count(*) FILTER (WHERE d.status = 'failed'
                                                       AND d.start_time > now() - interval '30 days') AS failures,
                                    max(coalesce(d.end_time, d.start_time)) FILTER (WHERE d.status = 'failed')
                                        AS last_failure_at
                               FROM %1$I.job_run_details AS d
                              WHERE d.jobid = j.jobid) AS r ON true$q$, v_cron);
END
$$;
COMMENT ON FUNCTION shq.fn_governance_job_runs() IS
    'Each governance pg_cron job visible to the caller (pg_cron shows a role its own jobs): job id, active, last run and status, last success, runs and failures in 30 days, last failure; cron_state says why nothing is visible when pg_cron is missing (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_governance_job_runs() TO outreach_governor, outreach_reader;
