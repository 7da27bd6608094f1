-- shq.fn_run_error_governance_jobs: the daily error governance run (docs/reference/governance.md): park
-- exhausted retries, archive expired errors, escalate stale parked ones; one shq.audit_log row.
CREATE OR REPLACE FUNCTION shq.fn_run_error_governance_jobs()
RETURNS TABLE (job text, table_name text, affected bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET lock_timeout = '1s'
AS $$
DECLARE
    rec record;
    v_park jsonb := '{}'::jsonb;
    v_archive jsonb := '{}'::jsonb;
    v_escalate jsonb := '{}'::jsonb;
    v_totals jsonb;
    v_started timestamptz := clock_timestamp();
BEGIN
    -- Park first: an exhausted error must be PARKED (and so never expire)
    -- before TTL archiving could sweep it away as an ordinary RETRY row.
    FOR rec IN SELECT p.table_name AS t, p.affected AS n FROM shq.fn_auto_park_exhausted_retries() AS p LOOP
        job := 'park'; table_name := rec.t; affected := rec.n;
        v_park := v_park || jsonb_build_object(rec.t, rec.n);
        RETURN NEXT;
    END LOOP;
    FOR rec IN SELECT a.table_name AS t, a.archived AS n FROM shq.fn_archive_expired_errors() AS a LOOP
        job := 'archive'; table_name := rec.t; affected := rec.n;
        v_archive := v_archive || jsonb_build_object(rec.t, rec.n);
        RETURN NEXT;
    END LOOP;
    FOR rec IN SELECT e.table_name AS t, e.affected AS n FROM shq.fn_escalate_stale_parked_errors() AS e LOOP
        job := 'escalate'; table_name := rec.t; affected := rec.n;
        v_escalate := v_escalate || jsonb_build_object(rec.t, rec.n);
        RETURN NEXT;
    END LOOP;

    SELECT jsonb_build_object(
               'park', coalesce((SELECT sum(v::bigint) FROM jsonb_each_text(v_park) AS x(k, v)), 0),
               'archive', coalesce((SELECT sum(v::bigint) FROM jsonb_each_text(v_archive) AS x(k, v)), 0),
               'escalate', coalesce((SELECT sum(v::bigint) FROM jsonb_each_text(v_escalate) AS x(k, v)), 0))
      INTO v_totals;
    INSERT INTO shq.audit_log (event_type, details)
    VALUES ('ERROR_GOVERNANCE_RUN',
            jsonb_build_object('jobs', jsonb_build_array('park', 'archive', 'escalate'),
                               'park', v_park, 'archive', v_archive, 'escalate', v_escalate,
                               'totals', v_totals,
                               'duration_ms', round(extract(epoch FROM clock_timestamp() - v_started) * 1000)));
END
$$;
COMMENT ON FUNCTION shq.fn_run_error_governance_jobs() IS
    'The daily error governance run: park exhausted retries, archive expired errors, escalate stale parked errors (one row per job and governed table), and one ERROR_GOVERNANCE_RUN row in shq.audit_log with the counts; one transaction (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_run_error_governance_jobs() TO outreach_governor;
