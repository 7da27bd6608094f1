-- shq.fn_verify_audit_seals: recompute every seal of the audited tables and
-- report the first broken one of each table (tamper evidence).
CREATE OR REPLACE FUNCTION shq.fn_verify_audit_seals(p_table regclass DEFAULT NULL)
RETURNS TABLE (table_name text, seal_id bigint, status text, detail text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
-- the digest sorts a chunk's row hashes by id: keep that sort in memory
SET work_mem = '64MB'
SET max_parallel_workers_per_gather = 0
AS $$
-- One row per audited table (or only p_table):
--   status 'OK'            every seal holds; seal_id = the chain head (NULL: no seal yet)
--   status 'CHAIN_BROKEN'  a seal row was edited, removed from the middle or
--                          forged: its digest, prev_digest or range does not
--                          follow from the seal before it
--   status 'MISSING'       fewer rows in the sealed range than sealed, or a
--                          row deleted other than by the sanctioned cascade
--   status 'INSERTED'      more rows in the sealed range than sealed
--   status 'CHANGED'       as many rows, different content
--   status 'ERROR'         the seal could not be recomputed (e.g. a sealed
--                          column was dropped)
-- Rows deleted by a sanctioned deleter are recomputed from their tombstones
-- (shq.audit_seal_tombstones), which are accepted only when a sanctioned
-- deleter wrote them (shq._deletion_sanctioned) and either the row's company
-- is no longer in the spine but in one of its archives (the cascade), or the
-- table's retention archive (shq.guarded_tables, kind retention) holds the row.
DECLARE
    v_min constant bigint := -9223372036854775808;
    v_only text;
    r record;
    c record;
    v_bad_seal bigint;
    v_bad_status text;
    v_bad_detail text;
    v_head bigint;
    v_head_digest bytea;
    v_seals bigint;
    v_rows bigint;
    v_last bigint;
    v_tombs bigint;
    v_sql text;
    v_settings text[];
    v_retained text;
BEGIN
    IF p_table IS NOT NULL THEN
        SELECT n.nspname || '.' || cl.relname INTO v_only
          FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
         WHERE cl.oid = p_table;
        IF NOT EXISTS (SELECT 1 FROM shq.fn_audit_sealed_tables() AS s WHERE s.table_name = v_only) THEN
            RAISE EXCEPTION '% is not a sealed audit table', p_table
                USING ERRCODE = '22023',
                      HINT = 'The sealed tables are listed by shq.fn_audit_sealed_tables().';
        END IF;
    END IF;

    -- the settings the row texts depend on, until the end
    v_settings := shq._audit_digest_settings();
    FOR r IN SELECT s.table_name, s.id_column FROM shq.fn_audit_sealed_tables() AS s
              WHERE v_only IS NULL OR s.table_name = v_only
              ORDER BY s.table_name
    LOOP
        v_bad_seal := NULL;
        v_bad_status := NULL;
        v_bad_detail := NULL;

        IF to_regclass(r.table_name) IS NULL THEN
            table_name := r.table_name;
            seal_id := NULL;
            status := 'ERROR';
            detail := format('table %s does not exist', r.table_name);
            RETURN NEXT;
            CONTINUE;
        END IF;

        -- 1. the chain: each seal follows from the one before it
        SELECT q.seal_id, q.problem INTO v_bad_seal, v_bad_detail
          FROM (SELECT s.seal_id,
                       CASE
                           WHEN s.n = 1 AND s.prev_digest IS NOT NULL
                               THEN 'the first seal of the table names a previous digest (earlier seals were removed)'
                           WHEN s.n > 1 AND s.prev_digest IS DISTINCT FROM s.p_digest
                               THEN format('prev_digest %s does not match the digest %s of the seal before it (%s): a seal was removed or forged',
                                           encode(s.prev_digest, 'hex'), encode(s.p_digest, 'hex'), s.p_seal)
                           WHEN s.n > 1 AND s.first_id IS DISTINCT FROM s.p_last + 1
                               THEN format('range %s..%s does not continue the previous seal''s range ending at %s',
                                           s.first_id, s.last_id, s.p_last)
                           WHEN s.id_column IS DISTINCT FROM r.id_column
                               THEN format('seal orders by %s, the table by %s', s.id_column, r.id_column)
                           WHEN s.digest IS DISTINCT FROM shq._audit_seal_digest(s.table_name, s.id_column, s.first_id,
                                   s.last_id, s.row_count, s.columns, s.row_digest, s.prev_digest, s.sealed_at)
                               THEN 'the seal''s fields do not match its digest: the seal row was edited'
                       END AS problem
                  FROM (SELECT a.*, row_number() OVER w AS n, lag(a.digest) OVER w AS p_digest,
                               lag(a.last_id) OVER w AS p_last, lag(a.seal_id) OVER w AS p_seal
                          FROM shq.audit_seals a
                         WHERE a.table_name = r.table_name
                        WINDOW w AS (ORDER BY a.seal_id)) AS s) AS q
         WHERE q.problem IS NOT NULL
         ORDER BY q.seal_id
         LIMIT 1;
        IF v_bad_seal IS NOT NULL THEN
            v_bad_status := 'CHAIN_BROKEN';
        END IF;

        -- a tombstone of the table's retention is accepted when its archive holds the row
        SELECT coalesce(string_agg(format(' OR EXISTS (SELECT 1 FROM %s AS ar WHERE ar.%I = x.row_id)',
                                          g.archive_table, r.id_column), ''), '')
          INTO v_retained
          FROM shq.guarded_tables g
         WHERE g.table_name = to_regclass(r.table_name) AND g.kind = 'retention';

        -- 2. the rows: recompute each seal's count and digest (one query per
        --    distinct column list, normally one per table)
        FOR c IN SELECT DISTINCT a.columns FROM shq.audit_seals a WHERE a.table_name = r.table_name
        LOOP
            DECLARE
                v_s bigint;
                v_st text;
                v_d text;
            BEGIN
                v_sql := format($q$
                    SELECT s.seal_id,
                           CASE WHEN g.n < s.row_count THEN 'MISSING'
                                WHEN g.n > s.row_count THEN 'INSERTED'
                                WHEN g.dig IS DISTINCT FROM s.row_digest THEN 'CHANGED'
                                WHEN g.bad_tombs > 0 THEN 'MISSING'
                           END AS status,
                           CASE WHEN g.n < s.row_count
                                    THEN pg_catalog.format('%%s row(s) missing from %%s: sealed %%s, found %%s',
                                                           s.row_count - g.n, s.ids, s.row_count, g.n)
                                WHEN g.n > s.row_count
                                    THEN pg_catalog.format('%%s row(s) inserted into %%s: sealed %%s, found %%s',
                                                           g.n - s.row_count, s.ids, s.row_count, g.n)
                                WHEN g.dig IS DISTINCT FROM s.row_digest
                                    THEN pg_catalog.format('row content changed in %%s: %%s rows, digest %%s, sealed %%s',
                                                           s.ids, g.n, pg_catalog.encode(g.dig, 'hex'),
                                                           pg_catalog.encode(s.row_digest, 'hex'))
                                WHEN g.bad_tombs > 0
                                    THEN pg_catalog.format('%%s row(s) deleted other than by the sanctioned cascade of a removed company or the table''s retention into its archive (first: %%s = %%s)',
                                                           g.bad_tombs, %3$L, g.first_bad)
                           END AS detail
                      FROM (SELECT b.*,
                                   CASE WHEN b.lo = %4$s THEN pg_catalog.format('%%s <= %%s', %3$L, b.last_id)
                                        ELSE pg_catalog.format('%%s %%s..%%s', %3$L, b.lo, b.last_id) END AS ids
                              FROM (SELECT a.*, coalesce(lag(a.last_id) OVER (ORDER BY a.seal_id) + 1, %4$s) AS lo
                                      FROM shq.audit_seals a WHERE a.table_name = $1) AS b) AS s
                     CROSS JOIN LATERAL (
                           SELECT count(*) AS n,
                                  pg_catalog.sha256(pg_catalog.string_agg(
                                      pg_catalog.sha256(pg_catalog.convert_to(u.txt, 'UTF8')), '\x'::bytea ORDER BY u.id)) AS dig,
                                  count(*) FILTER (WHERE NOT u.ok) AS bad_tombs,
                                  min(u.id) FILTER (WHERE NOT u.ok) AS first_bad
                             FROM (SELECT t.%3$I AS id, %5$s AS txt, true AS ok
                                     FROM %2$s AS t WHERE t.%3$I >= s.lo AND t.%3$I <= s.last_id
                                   UNION ALL
                                   SELECT x.row_id, %6$s,
                                          x.sanctioned
                                          AND ((NOT EXISTS (SELECT 1 FROM outreach.outreach o
                                                             WHERE o.outreach_id = x.oid)
                                                AND (EXISTS (SELECT 1 FROM outreach.outreach_archive o WHERE o.outreach_id = x.oid)
                                                     OR EXISTS (SELECT 1 FROM outreach.outreach_orphan_archive o
                                                                 WHERE o.outreach_id = x.oid)))%7$s)
                                     FROM (SELECT tb.*,
                                                  CASE WHEN (tb.row_data OPERATOR(pg_catalog.->>) 'outreach_id')
                                                            OPERATOR(pg_catalog.~)
                                                            '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                                                       THEN (tb.row_data OPERATOR(pg_catalog.->>) 'outreach_id')::uuid
                                                  END AS oid
                                             FROM shq.audit_seal_tombstones tb
                                            WHERE tb.table_name = $1 AND tb.row_id >= s.lo AND tb.row_id <= s.last_id) AS x
                                  ) AS u
                           ) AS g
                     WHERE s.columns = $2
                       AND (g.n <> s.row_count OR g.dig IS DISTINCT FROM s.row_digest OR g.bad_tombs > 0)
                     ORDER BY s.seal_id
                     LIMIT 1 $q$,
                    NULL, to_regclass(r.table_name), r.id_column, v_min,
                    shq._audit_row_text_sql(to_regclass(r.table_name), c.columns, 't', false),
                    shq._audit_row_text_sql(to_regclass(r.table_name), c.columns, 'x.row_data', true),
                    v_retained);
                EXECUTE v_sql INTO v_s, v_st, v_d USING r.table_name, c.columns;
                IF v_s IS NOT NULL AND (v_bad_seal IS NULL OR v_s < v_bad_seal) THEN
                    v_bad_seal := v_s;
                    v_bad_status := v_st;
                    v_bad_detail := v_d;
                END IF;
            EXCEPTION WHEN OTHERS THEN
                SELECT min(a.seal_id) INTO v_s FROM shq.audit_seals a
                 WHERE a.table_name = r.table_name AND a.columns = c.columns;
                IF v_bad_seal IS NULL OR v_s < v_bad_seal THEN
                    v_bad_seal := v_s;
                    v_bad_status := 'ERROR';
                    v_bad_detail := format('cannot recompute the seal over columns %s: %s (%s)',
                                           array_to_string(c.columns, ', '), SQLERRM, SQLSTATE);
                END IF;
            END;
        END LOOP;

        table_name := r.table_name;
        IF v_bad_seal IS NOT NULL THEN
            seal_id := v_bad_seal;
            status := v_bad_status;
            detail := v_bad_detail;
        ELSE
            SELECT count(*), sum(a.row_count), max(a.last_id), max(a.seal_id)
              INTO v_seals, v_rows, v_last, v_head
              FROM shq.audit_seals a WHERE a.table_name = r.table_name;
            SELECT a.digest INTO v_head_digest FROM shq.audit_seals a WHERE a.seal_id = v_head;
            SELECT count(*) INTO v_tombs FROM shq.audit_seal_tombstones tb
             WHERE tb.table_name = r.table_name AND tb.row_id <= v_last;
            seal_id := v_head;
            status := 'OK';
            detail := CASE WHEN v_head IS NULL THEN 'no seal yet'
                           ELSE format('%s seal(s) over %s row(s) up to %s = %s, head %s%s', v_seals, v_rows,
                                       r.id_column, v_last, encode(v_head_digest, 'hex'),
                                       CASE WHEN v_tombs > 0
                                            THEN format(', %s of them deleted by the sanctioned cascade or retention', v_tombs)
                                            ELSE '' END)
                      END;
        END IF;
        RETURN NEXT;
    END LOOP;
    PERFORM shq._audit_digest_settings(v_settings);
END
$$;
COMMENT ON FUNCTION shq.fn_verify_audit_seals(regclass) IS
    'Recomputes every seal of the audited tables (or of p_table) and returns one row per table: OK with the chain head, or the first broken seal with CHAIN_BROKEN, MISSING, INSERTED, CHANGED or ERROR and what was found (tamper evidence).';
GRANT EXECUTE ON FUNCTION shq.fn_verify_audit_seals(regclass) TO outreach_governor;
