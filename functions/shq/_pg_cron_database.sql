-- shq._pg_cron_database: the database pg_cron runs jobs from (cron.database_name), NULL when
-- pg_cron is not loaded (docs/reference/governance.md). Private helper; readable by roles that cannot read the setting.
CREATE OR REPLACE FUNCTION shq._pg_cron_database()
RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cron_db text;
BEGIN
    -- cron.database_name exists only when pg_cron is in shared_preload_libraries,
    -- and only superusers (and pg_read_all_settings) may read it; others learn
    -- the database from the pg_cron launcher's row in pg_stat_activity.
    BEGIN
        v_cron_db := current_setting('cron.database_name', true);
    EXCEPTION WHEN insufficient_privilege THEN
        SELECT a.datname INTO v_cron_db
          FROM pg_stat_activity a
         WHERE a.backend_type = 'pg_cron launcher'
         LIMIT 1;
    END;
    RETURN v_cron_db;
END
$$;
COMMENT ON FUNCTION shq._pg_cron_database() IS
    'Private: cron.database_name (or, for roles that may not read it, the pg_cron launcher''s database); NULL when pg_cron is not loaded (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq._pg_cron_database() TO outreach_governor, outreach_reader;
