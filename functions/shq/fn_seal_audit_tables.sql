-- shq.fn_seal_audit_tables: seal every committed, final row of the audited
-- tables that no seal covers yet, set-based (tamper evidence).
CREATE OR REPLACE FUNCTION shq.fn_seal_audit_tables(
    p_max_wait interval DEFAULT interval '10 seconds',
    p_max_rows integer DEFAULT 250000)
RETURNS TABLE (table_name text, seal_id bigint, first_id bigint, last_id bigint, row_count bigint, digest text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
-- the digest sorts a chunk's row hashes by id: keep that sort in memory
SET work_mem = '64MB'
SET max_parallel_workers_per_gather = 0
AS $$
-- Identity values can commit out of order: a transaction may hold id 10
-- uncommitted while id 11 is already visible. So a run seals, per table, only
-- up to a horizon that can no longer grow below it:
--   1. read each table's identity sequence (its last value: the horizon);
--   2. list every other transaction of this database open right now
--      (virtual xids, prepared transactions); any that holds an id <=
--      horizon is among them;
--   3. wait (polling pg_locks, at most p_max_wait) until all of them ended;
--      every id <= horizon is then committed or gone for good. If they do
--      not end in time, nothing is sealed this run (a NOTICE names them).
--   4. in a new snapshot (READ COMMITTED), seal (last sealed id, horizon] in
--      chunks of at most p_max_rows rows.
-- Inserters are never locked or waited for by anyone but the sealer; two
-- sealers never interleave (a transaction-level advisory lock, tried, not
-- awaited: the second returns no rows at once).
DECLARE
    v_lock_key constant bigint := 7265847396;  -- any fixed number, only sealers take it
    v_min constant bigint := -9223372036854775808;
    v_tables text[];
    v_idcols text[];
    v_horizons bigint[];
    v_vxids text[];
    v_gids text[];
    v_deadline timestamptz;
    v_sleep double precision := 0.002;
    v_pending integer;
    v_pids text;
    v_table text;
    v_idcol text;
    v_horizon bigint;
    v_cols text[];
    v_from bigint;
    v_to bigint;
    v_prev bytea;
    v_last bigint;
    v_n bigint;
    v_first bigint;
    v_row_digest bytea;
    v_digest bytea;
    v_seal bigint;
    v_live text;
    v_tomb text;
    v_now timestamptz := now();
    v_settings text[];
BEGIN
    IF p_max_wait IS NULL OR p_max_wait < interval '0' THEN
        RAISE EXCEPTION 'p_max_wait must be a non-negative interval (got %)', coalesce(p_max_wait::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'The default waits at most 10 seconds for open transactions.';
    END IF;
    IF p_max_rows IS NULL OR p_max_rows < 1 THEN
        RAISE EXCEPTION 'p_max_rows must be at least 1 (got %)', coalesce(p_max_rows::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'It caps the rows of one seal; the default is 250000.';
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'shq.fn_seal_audit_tables() must run in a READ COMMITTED transaction (this one is %)',
                current_setting('transaction_isolation')
            USING ERRCODE = '25000',
                  DETAIL = 'It waits for the transactions that may hold unsealed ids and must then see their rows.',
                  HINT = 'Call it in autocommit mode or a READ COMMITTED transaction (pg_cron does).';
    END IF;
    IF NOT pg_try_advisory_xact_lock(v_lock_key) THEN
        RAISE NOTICE 'another shq.fn_seal_audit_tables() is running; nothing sealed by this call';
        RETURN;
    END IF;

    -- 1. the horizons, read before the list of open transactions
    SELECT array_agg(r.table_name ORDER BY r.table_name),
           array_agg(r.id_column ORDER BY r.table_name),
           array_agg(pg_sequence_last_value(pg_get_serial_sequence(r.table_name, r.id_column)::regclass)
                     ORDER BY r.table_name)
      INTO v_tables, v_idcols, v_horizons
      FROM shq.fn_audit_sealed_tables() AS r
     WHERE to_regclass(r.table_name) IS NOT NULL;

    -- 2. every other open transaction of this database run by a user (with or
    --    without an xid yet; autovacuum and other background processes hold
    --    no ids), and the prepared transactions of this database
    PERFORM pg_stat_clear_snapshot();  -- pg_stat_activity as of now, not as of this transaction's first look
    SELECT coalesce(array_agg(l.virtualxid), '{}') INTO v_vxids
      FROM pg_locks l
      JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'virtualxid' AND l.granted AND l.mode = 'ExclusiveLock'
       AND l.pid <> pg_backend_pid()
       AND a.datid = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
       AND a.usesysid IS NOT NULL;
    SELECT coalesce(array_agg(p.gid), '{}') INTO v_gids
      FROM pg_prepared_xacts p
     WHERE p.database = current_database();

    -- 3. wait until all of them ended
    v_deadline := clock_timestamp() + p_max_wait;
    LOOP
        SELECT count(*)::integer INTO v_pending
          FROM (SELECT 1 FROM pg_locks l
                 WHERE l.locktype = 'virtualxid' AND l.granted AND l.mode = 'ExclusiveLock'
                   AND l.virtualxid = ANY (v_vxids)
                UNION ALL
                SELECT 1 FROM pg_prepared_xacts p WHERE p.gid = ANY (v_gids)) AS q;
        EXIT WHEN v_pending = 0;
        IF clock_timestamp() >= v_deadline THEN
            SELECT string_agg(DISTINCT coalesce(l.pid::text, 'prepared'), ', ') INTO v_pids
              FROM pg_locks l
             WHERE l.locktype = 'virtualxid' AND l.granted AND l.virtualxid = ANY (v_vxids);
            RAISE NOTICE 'sealing postponed: % transaction(s) open since this run started did not end within % (backend pids: %)',
                    v_pending, p_max_wait, coalesce(v_pids, 'prepared transactions')
                USING HINT = 'One of them may hold an audit id below the horizon; the next run seals once they end.';
            RETURN;
        END IF;
        PERFORM pg_sleep(v_sleep);
        v_sleep := least(v_sleep * 2, 0.1);
    END LOOP;

    -- 4. seal, table by table, in chunks, with the settings the row texts depend on
    v_settings := shq._audit_digest_settings();
    FOR i IN 1 .. coalesce(cardinality(v_tables), 0) LOOP
        v_table := v_tables[i];
        v_idcol := v_idcols[i];
        v_horizon := v_horizons[i];
        CONTINUE WHEN v_horizon IS NULL;  -- no id handed out yet

        v_prev := NULL;
        v_last := NULL;
        SELECT s.digest, s.last_id INTO v_prev, v_last
          FROM shq.audit_seals s
         WHERE s.table_name = v_table
         ORDER BY s.seal_id DESC
         LIMIT 1;
        CONTINUE WHEN v_last IS NOT NULL AND v_last >= v_horizon;

        SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO v_cols
          FROM pg_attribute a
         WHERE a.attrelid = v_table::regclass AND a.attnum > 0 AND NOT a.attisdropped;
        v_live := shq._audit_row_text_sql(v_table::regclass, v_cols, 't', false);
        v_tomb := shq._audit_row_text_sql(v_table::regclass, v_cols, 'x.row_data', true);

        LOOP
            v_from := coalesce(v_last + 1, v_min);
            -- the chunk ends at the p_max_rows-th row, or at the horizon
            EXECUTE format('SELECT t.%1$I FROM %2$s AS t WHERE t.%1$I >= $1 AND t.%1$I <= $2'
                           ' ORDER BY t.%1$I OFFSET $3 LIMIT 1', v_idcol, v_table::regclass)
               INTO v_to USING v_from, v_horizon, p_max_rows - 1;
            v_to := coalesce(v_to, v_horizon);

            EXECUTE format(
                'SELECT count(*), min(u.id),'
                '       pg_catalog.sha256(pg_catalog.string_agg(pg_catalog.sha256(pg_catalog.convert_to(u.txt, ''UTF8'')),'
                '                                               ''\x''::bytea ORDER BY u.id))'
                '  FROM (SELECT t.%1$I AS id, %3$s AS txt FROM %2$s AS t WHERE t.%1$I >= $1 AND t.%1$I <= $2'
                '        UNION ALL'
                '        SELECT x.row_id, %4$s FROM shq.audit_seal_tombstones AS x'
                '         WHERE x.table_name = $3 AND x.row_id >= $1 AND x.row_id <= $2) AS u',
                v_idcol, v_table::regclass, v_live, v_tomb)
               INTO v_n, v_first, v_row_digest USING v_from, v_to, v_table;
            EXIT WHEN v_n = 0;

            -- the first seal of a table starts at its smallest id (and covers
            -- everything below it); later ones continue the previous range
            v_first := CASE WHEN v_last IS NULL THEN v_first ELSE v_from END;
            v_digest := shq._audit_seal_digest(v_table, v_idcol, v_first, v_to, v_n, v_cols, v_row_digest, v_prev, v_now);
            INSERT INTO shq.audit_seals AS s (table_name, id_column, first_id, last_id, row_count, columns,
                                              row_digest, prev_digest, digest, sealed_at)
            VALUES (v_table, v_idcol, v_first, v_to, v_n, v_cols, v_row_digest, v_prev, v_digest, v_now)
            RETURNING s.seal_id INTO v_seal;

            table_name := v_table;
            seal_id := v_seal;
            first_id := v_first;
            last_id := v_to;
            row_count := v_n;
            digest := encode(v_digest, 'hex');
            RETURN NEXT;

            v_prev := v_digest;
            v_last := v_to;
            EXIT WHEN v_to >= v_horizon;
        END LOOP;
    END LOOP;
    PERFORM shq._audit_digest_settings(v_settings);
END
$$;
COMMENT ON FUNCTION shq.fn_seal_audit_tables(interval, integer) IS
    'Seals every final, not yet sealed row of the audited tables into shq.audit_seals (one chained SHA-256 seal per range of at most p_max_rows rows); never blocks inserters; returns the seals made (tamper evidence).';
GRANT EXECUTE ON FUNCTION shq.fn_seal_audit_tables(interval, integer) TO outreach_governor;
