-- shq.fn_schedule_governance_jobs: register the governance core's pg_cron jobs, idempotently by name
-- (docs/reference/governance.md). SECURITY INVOKER: pg_cron runs a job as the role that scheduled it.
CREATE OR REPLACE FUNCTION shq.fn_schedule_governance_jobs()
RETURNS TABLE (job_name text, job_id bigint, schedule text, command text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_state text := shq._pg_cron_state();
    v_cron_db text := shq._pg_cron_database();
    v_db text := current_database();
    s record;
    v_jobs jsonb := '[]'::jsonb;
    -- the schema is a variable so that nothing (plpgsql_check included) resolves it before run time
    v_cron name := 'cron';
BEGIN
    -- Every reference to pg_cron is dynamic SQL: this function compiles (and
    -- migrations succeed) where the cron schema does not exist.
    IF v_state = 'PG_CRON_NOT_LOADED' THEN
        RAISE EXCEPTION 'pg_cron is missing: it is not loaded on this server (shared_preload_libraries)'
            USING ERRCODE = '55000',
                  HINT = format('Install pg_cron (Debian: apt-get install postgresql-15-cron), set shared_preload_libraries = ''pg_cron'' '
                                'and cron.database_name = ''%s'' in postgresql.conf, restart PostgreSQL, then run '
                                'CREATE EXTENSION pg_cron in database %s (`pyctl schedule` does that step).', v_db, v_db);
    ELSIF v_state = 'PG_CRON_OTHER_DATABASE' THEN
        RAISE EXCEPTION 'pg_cron is missing in database %: pg_cron runs jobs from database % only (cron.database_name)', v_db, v_cron_db
            USING ERRCODE = '55000',
                  HINT = format('With shared_preload_libraries = ''pg_cron'', set cron.database_name = ''%s'' in postgresql.conf '
                                'and restart PostgreSQL, then run CREATE EXTENSION pg_cron in database %s '
                                '(`pyctl schedule` does that step).', v_db, v_db);
    ELSIF v_state = 'PG_CRON_NOT_INSTALLED' THEN
        RAISE EXCEPTION 'pg_cron is missing: the extension is not created in database %', v_db
            USING ERRCODE = '55000',
                  HINT = format('Run CREATE EXTENSION pg_cron; as a superuser in database %s (`pyctl schedule` does it when it can).', v_db);
    ELSIF v_state = 'PG_CRON_NO_ACCESS' THEN
        RAISE EXCEPTION 'role % may not use pg_cron (no USAGE on schema cron)', current_user
            USING ERRCODE = '42501',
                  HINT = format('As a superuser: GRANT USAGE ON SCHEMA cron TO %I; jobs run as the role that schedules them, '
                                'so it must be a LOGIN role with EXECUTE on the governance functions.', current_user);
    END IF;

    FOR s IN SELECT j.job_name, j.schedule, j.command FROM shq._governance_job_specs() AS j LOOP
        -- cron.schedule(name, ...) updates this role's job of that name.
        EXECUTE format('SELECT %I.schedule($1, $2, $3)', v_cron) INTO job_id USING s.job_name, s.schedule, s.command;
        job_name := s.job_name;
        schedule := s.schedule;
        command := s.command;
        v_jobs := v_jobs || jsonb_build_object('job_name', s.job_name, 'job_id', job_id, 'schedule', s.schedule);
        RETURN NEXT;
    END LOOP;
    PERFORM shq._audit_governance_schedule(
        jsonb_build_object('jobs', v_jobs, 'scheduled_as', current_user::text, 'database', v_db));
END
$$;
COMMENT ON FUNCTION shq.fn_schedule_governance_jobs() IS
    'Registers (idempotently, by job name) the pg_cron jobs: outreach-error-governance-daily, outreach-archive-cleanup-weekly, outreach-cron-history-prune-daily (30 days of cron.job_run_details), and the audit sealing job when present; jobs run as the calling role. Without pg_cron in this database: 55000 with a HINT saying how to enable it (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_schedule_governance_jobs() TO outreach_governor;
