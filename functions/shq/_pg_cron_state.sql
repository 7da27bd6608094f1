-- shq._pg_cron_state: can this session schedule/see pg_cron jobs here (docs/reference/governance.md)? 'OK' or why not:
-- PG_CRON_NOT_LOADED, PG_CRON_OTHER_DATABASE, PG_CRON_NOT_INSTALLED, PG_CRON_NO_ACCESS.
CREATE OR REPLACE FUNCTION shq._pg_cron_state()
RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_cron_db text := shq._pg_cron_database();
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'pg_cron') THEN
        IF v_cron_db IS NOT NULL AND v_cron_db <> current_database() THEN
            RETURN 'PG_CRON_OTHER_DATABASE';
        ELSIF NOT has_schema_privilege('cron', 'USAGE') THEN
            RETURN 'PG_CRON_NO_ACCESS';
        END IF;
        RETURN 'OK';
    END IF;
    IF v_cron_db IS NULL THEN
        RETURN 'PG_CRON_NOT_LOADED';
    ELSIF v_cron_db <> current_database() THEN
        RETURN 'PG_CRON_OTHER_DATABASE';
    END IF;
    RETURN 'PG_CRON_NOT_INSTALLED';
END
$$;
COMMENT ON FUNCTION shq._pg_cron_state() IS
    'Private: OK when pg_cron is loaded, this is cron.database_name, the extension exists and the role may use schema cron; else which of these fails (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq._pg_cron_state() TO outreach_governor, outreach_reader;
