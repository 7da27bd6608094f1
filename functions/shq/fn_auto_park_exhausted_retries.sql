-- shq.fn_auto_park_exhausted_retries: park every RETRY error whose retries are exhausted
-- (docs/reference/governance.md): retry_count >= max_retries -> PARKED, park_reason MAX_RETRIES_EXCEEDED.
CREATE OR REPLACE FUNCTION shq.fn_auto_park_exhausted_retries()
RETURNS TABLE (table_name text, affected bigint)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET lock_timeout = '1s'
AS $$
    -- SKIP LOCKED: a row a worker is retrying right now is left to its
    -- retry report (which parks it itself) or to the next run.
    SELECT * FROM shq._each_governed_table($q$
        UPDATE %1$I.%2$I AS t
           SET disposition = 'PARKED',
               parked_at = now(),
               parked_by = 'shq.fn_auto_park_exhausted_retries',
               park_reason = 'MAX_RETRIES_EXCEEDED',
               retry_exhausted = true,
               next_retry_at = NULL
         WHERE t.error_id = ANY (ARRAY(SELECT c.error_id FROM %1$I.%2$I AS c
                                        WHERE c.disposition = 'RETRY' AND c.retry_count >= c.max_retries
                                          FOR UPDATE SKIP LOCKED))
           AND t.disposition = 'RETRY' AND t.retry_count >= t.max_retries$q$);
$$;
COMMENT ON FUNCTION shq.fn_auto_park_exhausted_retries() IS
    'Parks RETRY errors with retry_count >= max_retries (PARKED, MAX_RETRIES_EXCEEDED, parked_at, retry_exhausted); one row per governed table (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_auto_park_exhausted_retries() TO outreach_governor;
