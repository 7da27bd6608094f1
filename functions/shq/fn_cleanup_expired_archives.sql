-- shq.fn_cleanup_expired_archives: the weekly archive cleanup (SPEC §7, seed 003 §1.2): deletes
-- archived errors whose retention_expires_at has passed (1 year; 2 for public.shq_error_log_archive).
CREATE OR REPLACE FUNCTION shq.fn_cleanup_expired_archives()
RETURNS TABLE (table_name text, affected bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '1s'
AS $$
DECLARE
    r shq.governed_error_tables;
    v_n bigint;
BEGIN
    FOR r IN SELECT g.* FROM shq.governed_error_tables g ORDER BY g.display_order LOOP
        PERFORM shq._governed_table(r.table_name);
        EXECUTE format('DELETE FROM %I.%I WHERE retention_expires_at < now()',
                       split_part(r.archive_table, '.', 1), split_part(r.archive_table, '.', 2));
        GET DIAGNOSTICS v_n = ROW_COUNT;
        -- rows are named by their governed table, like every job's (the registry key)
        table_name := r.table_name;
        affected := v_n;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION shq.fn_cleanup_expired_archives() IS
    'Deletes archive rows whose retention_expires_at is in the past; one row per governed table (named like every job result by the governed table, schema-qualified) (SPEC §7).';
GRANT EXECUTE ON FUNCTION shq.fn_cleanup_expired_archives() TO outreach_governor;
