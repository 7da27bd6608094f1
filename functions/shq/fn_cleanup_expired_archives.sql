-- shq.fn_cleanup_expired_archives: the weekly archive cleanup (docs/reference/governance.md): deletes
-- archived errors whose retention_expires_at has passed (1 year; 2 for public.shq_error_log_archive).
CREATE OR REPLACE FUNCTION shq.fn_cleanup_expired_archives()
RETURNS TABLE (table_name text, affected bigint)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET lock_timeout = '1s'
AS $$
    -- rows are named by their governed table, like every job's (the registry key)
    SELECT * FROM shq._each_governed_table('DELETE FROM %1$I.%2$I WHERE retention_expires_at < now()', true);
$$;
COMMENT ON FUNCTION shq.fn_cleanup_expired_archives() IS
    'Deletes archive rows whose retention_expires_at is in the past; one row per governed table (named like every job result by the governed table, schema-qualified) (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_cleanup_expired_archives() TO outreach_governor;
