-- shq._store_metrics_snapshot: compute the expensive metric figures and store them, with the job
-- health its caller read, in shq.metrics_snapshot (monitoring; docs/monitoring.md).
CREATE OR REPLACE FUNCTION shq._store_metrics_snapshot(p_jobs jsonb, p_jobs_ms numeric DEFAULT 0)
RETURNS TABLE (name text, refreshed boolean, duration_ms numeric, detail text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- Each figure is computed in its own statement and stored with its own time
-- and duration. The job health comes from the caller, as
-- shq.fn_refresh_metrics_snapshot() read it with the caller's rights (pg_cron
-- shows a role only its own jobs); it replaces the stored one unless it could
-- not see pg_cron (PG_CRON_NO_ACCESS, NOT_VISIBLE) while the stored one could.
DECLARE
    v_lock_key constant bigint := 7265847397;  -- any fixed number; only this function takes it
    v_t timestamptz;
    v_data jsonb;
    v_sees_cron boolean;
    v_stored_sees_cron boolean;
    v_unknown text;
BEGIN
    IF p_jobs IS NULL OR jsonb_typeof(p_jobs) <> 'array' THEN
        RAISE EXCEPTION 'the job health must be a jsonb array of shq.vw_governance_job_health rows (got %)',
                coalesce(jsonb_typeof(p_jobs), 'NULL')
            USING ERRCODE = '22023', HINT = 'Call shq.fn_refresh_metrics_snapshot(), which reads it for you.';
    END IF;
    SELECT string_agg(coalesce(j ->> 'job_name', 'NULL'), ', ') INTO v_unknown
      FROM jsonb_array_elements(p_jobs) AS j
     WHERE NOT EXISTS (SELECT 1 FROM shq._governance_job_specs() AS s WHERE s.job_name = j ->> 'job_name');
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown governance job(s) in the job health: %', v_unknown
            USING ERRCODE = '22023', HINT = 'The jobs are those of shq._governance_job_specs().';
    END IF;
    -- two refreshes at once would compute everything twice: the second one returns at once
    IF NOT pg_try_advisory_xact_lock(v_lock_key) THEN
        RETURN QUERY SELECT s.n, false, 0::numeric, 'another refresh is running'::text
                       FROM unnest(ARRAY['tier', 'spine', 'bit', 'job']) AS s(n);
        RETURN;
    END IF;

    -- companies by effective tier: a full read of the authoritative view
    v_t := clock_timestamp();
    SELECT jsonb_build_object('rows', coalesce(jsonb_agg(jsonb_build_object(
               'effective_tier', t.effective_tier, 'companies', t.companies) ORDER BY t.effective_tier), '[]'))
      INTO v_data
      FROM outreach.vw_tier_distribution AS t;
    RETURN QUERY SELECT * FROM shq._put_metrics_snapshot('tier', v_data, v_t);

    -- spine / CL alignment
    v_t := clock_timestamp();
    SELECT to_jsonb(a) INTO v_data FROM shq.fn_check_spine_alignment() AS a;
    RETURN QUERY SELECT * FROM shq._put_metrics_snapshot('spine', v_data, v_t);

    -- BIT score ages: when the oldest and newest scores were evaluated (as_of)
    v_t := clock_timestamp();
    SELECT jsonb_build_object('scored_companies', count(*), 'oldest_as_of', min(b.as_of),
                              'newest_as_of', max(b.as_of))
      INTO v_data
      FROM outreach.bit_scores AS b;
    RETURN QUERY SELECT * FROM shq._put_metrics_snapshot('bit', v_data, v_t);

    -- job health, as the caller saw it
    v_sees_cron := NOT EXISTS (SELECT 1 FROM jsonb_array_elements(p_jobs) AS j
                                WHERE j ->> 'status' IN ('PG_CRON_NO_ACCESS', 'NOT_VISIBLE'));
    SELECT (m.data ->> 'sees_cron')::boolean INTO v_stored_sees_cron
      FROM shq.metrics_snapshot AS m WHERE m.name = 'job';
    IF v_sees_cron OR NOT coalesce(v_stored_sees_cron, false) THEN
        RETURN QUERY SELECT * FROM shq._put_metrics_snapshot(
            'job', jsonb_build_object('rows', p_jobs, 'sees_cron', v_sees_cron),
            clock_timestamp() - make_interval(secs => coalesce(p_jobs_ms, 0) / 1000.0));
    ELSE
        RETURN QUERY SELECT 'job'::text, false, 0::numeric,
                            format('kept the stored job health: role %s cannot see the pg_cron jobs', session_user);
    END IF;
END
$$;
COMMENT ON FUNCTION shq._store_metrics_snapshot(jsonb, numeric) IS
    'Private: computes the tier distribution, spine alignment and BIT score ages and stores them with the given job health (rows of shq.vw_governance_job_health, kept unless they could not see pg_cron and the stored ones could) in shq.metrics_snapshot; one refresh at a time.';
GRANT EXECUTE ON FUNCTION shq._store_metrics_snapshot(jsonb, numeric) TO outreach_governor;
