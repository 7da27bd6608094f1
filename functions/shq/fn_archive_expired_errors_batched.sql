-- shq.fn_archive_expired_errors_batched: TTL archiving of every governed error table with an explicit
-- batch size (docs/reference/governance.md); shq.fn_archive_expired_errors() is this with the default batch.
CREATE OR REPLACE FUNCTION shq.fn_archive_expired_errors_batched(
    p_batch_size integer DEFAULT 10000,
    p_max_batches integer DEFAULT NULL)
RETURNS TABLE (table_name text, archived bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
-- never queue behind a long lock (DDL on an error table): fail fast, the next run retries
SET lock_timeout = '1s'
AS $$
-- %5$s is a column list of quote_ident()ed catalog names (shq._archive_copy_columns) and
-- %6$s a CASE of %L literals (shq._ttl_cutoff_case); tables are %I.%I:
-- @plpgsql_check_options: security_warnings = false
DECLARE
    r shq.governed_error_tables;
    v_sql text;
    v_lower_bound timestamptz;
    v_last_c timestamptz;
    v_last_id bigint;
    v_moved bigint;
    v_inserted bigint;
    v_batch_c timestamptz;
    v_batch_id bigint;
    v_total bigint;
    v_batches integer;
BEGIN
    PERFORM shq._check_batch_limits(p_batch_size, p_max_batches);
    -- No row created after now() - (shortest TTL) can have expired: an index
    -- range bound that spares the scan of recent rows.
    SELECT now() - min(shq.fn_get_ttl_interval(t.tier)) INTO v_lower_bound
      FROM unnest(enum_range(NULL::shq.ttl_tier)) AS t(tier);

    FOR r IN SELECT g.* FROM shq.governed_error_tables g ORDER BY g.display_order LOOP
        PERFORM shq._governed_table(r.table_name);
        -- One statement per batch: the DELETE's RETURNING feeds the INSERT, so
        -- a row is in exactly one of the two tables whatever happens; no ON
        -- CONFLICT: a duplicate raises rather than drops. Batches walk
        -- (created_at, error_id) upwards (keyset), so no batch rescans the rows
        -- earlier batches deleted; SKIP LOCKED leaves rows another archiver
        -- (or a retry in flight) holds to that archiver or to the next run.
        -- "= ANY (ARRAY(...))" rather than "IN (...)": the batch's ids are
        -- looked up by primary key, never by a hash join over the whole table.
        v_sql := format($q$
            WITH moved AS (
                DELETE FROM %1$I.%2$I AS t
                 WHERE t.ctid = ANY (ARRAY(
                       SELECT c.ctid
                         FROM %1$I.%2$I AS c
                        WHERE c.created_at < $1
                          AND c.created_at >= $2
                          AND (c.created_at, c.error_id) > ($2, $3)
                          AND c.disposition <> 'PARKED'
                          AND c.created_at < %6$s
                        ORDER BY c.created_at, c.error_id
                        LIMIT $4
                          FOR UPDATE SKIP LOCKED))
                RETURNING t.*
            ), ins AS (
                INSERT INTO %3$I.%4$I (%5$s, disposition, archived_at, archived_by, archive_reason,
                                  final_disposition, retention_expires_at)
                SELECT %5$s, 'ARCHIVED', now(), 'shq.fn_archive_expired_errors', 'TTL_EXPIRED',
                       m.disposition, now() + $5
                  FROM moved AS m
                RETURNING 1
            )
            SELECT b.n, (SELECT count(*) FROM ins), b.c,
                   (SELECT max(m.error_id) FROM moved AS m WHERE m.created_at = b.c)
              FROM (SELECT count(*) AS n, max(m.created_at) AS c FROM moved AS m) AS b$q$,
            split_part(r.table_name, '.', 1), split_part(r.table_name, '.', 2), split_part(r.archive_table, '.', 1), split_part(r.archive_table, '.', 2),
            shq._archive_copy_columns(r.table_name, r.archive_table),
            shq._ttl_cutoff_case('c.ttl_tier', now()));

        v_total := 0;
        v_batches := 0;
        v_last_c := '-infinity';
        v_last_id := -9223372036854775808;
        LOOP
            EXIT WHEN p_max_batches IS NOT NULL AND v_batches >= p_max_batches;
            BEGIN
                EXECUTE v_sql
                    INTO v_moved, v_inserted, v_batch_c, v_batch_id
                    USING v_lower_bound, v_last_c, v_last_id, p_batch_size, r.retention;
            EXCEPTION WHEN unique_violation THEN
                RAISE EXCEPTION 'TTL archiving of % stopped: a row is already in %', r.table_name, r.archive_table
                    USING ERRCODE = '23505', DETAIL = SQLERRM,
                          HINT = 'An error_id was reused after its row was archived. Nothing was moved; '
                                 'resolve the duplicate by hand (no row is ever dropped to make room).';
            END;
            IF v_moved <> v_inserted THEN
                RAISE EXCEPTION 'TTL archiving of % deleted % rows but inserted % into %',
                                r.table_name, v_moved, v_inserted, r.archive_table
                    USING ERRCODE = 'P0004',
                          HINT = 'Something (a trigger on the archive?) suppressed archive rows; the batch was rolled back, nothing is lost.';
            END IF;
            EXIT WHEN v_moved = 0;
            v_batches := v_batches + 1;
            v_total := v_total + v_moved;
            RAISE DEBUG 'shq.fn_archive_expired_errors: % batch % moved % rows', r.table_name, v_batches, v_moved;
            v_last_c := v_batch_c;
            v_last_id := v_batch_id;
            -- a short batch means no unlocked expired row is left beyond the keyset
            EXIT WHEN v_moved < p_batch_size;
        END LOOP;
        table_name := r.table_name;
        archived := v_total;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION shq.fn_archive_expired_errors_batched(integer, integer) IS
    'TTL archiving in batches of p_batch_size rows (at most p_max_batches per table; NULL: all): rows past their TTL by created_at, not PARKED, not INFINITE, move to the archive with TTL_EXPIRED, one DELETE..RETURNING -> INSERT statement per batch, FOR UPDATE SKIP LOCKED, lock_timeout 1s; inserted = deleted checked per batch. One call is one transaction (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_archive_expired_errors_batched(integer, integer) TO outreach_governor;
