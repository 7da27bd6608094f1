-- shq.fn_archive_expired_errors: the daily TTL archiving job (docs/reference/governance.md): every governed
-- table's expired rows move to its archive in batches of 10000 (see fn_archive_expired_errors_batched).
CREATE OR REPLACE FUNCTION shq.fn_archive_expired_errors()
RETURNS TABLE (table_name text, archived bigint)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT b.table_name, b.archived FROM shq.fn_archive_expired_errors_batched(10000, NULL) AS b;
$$;
COMMENT ON FUNCTION shq.fn_archive_expired_errors() IS
    'TTL archiving job: moves rows older than their TTL (by created_at; PARKED and INFINITE never) to the archive with reason TTL_EXPIRED, one statement per 10000-row batch, nothing lost or copied twice; one row per governed table (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_archive_expired_errors() TO outreach_governor;
