-- Error governance jobs (docs/reference/governance.md): indexes the jobs read, built from the registry.
-- depends: 0007_tool_canon
SET LOCAL search_path = pg_catalog, pg_temp;

-- fn_auto_park_exhausted_retries looks for RETRY rows whose retry_count has
-- reached max_retries: normally none, so a partial index keeps the daily job
-- from scanning every RETRY row. fn_archive_expired_errors walks expired rows
-- in (created_at, error_id) order (keyset batches), served by this index
-- without a sort.
DO $$
DECLARE
    r record;
    v_schema text;
    v_name text;
BEGIN
    FOR r IN SELECT g.table_name FROM shq.governed_error_tables g ORDER BY g.display_order LOOP
        v_schema := pg_catalog.split_part(r.table_name, '.', 1);
        v_name := pg_catalog.split_part(r.table_name, '.', 2);
        EXECUTE pg_catalog.format(
            'CREATE INDEX IF NOT EXISTS %I ON %I.%I (error_id) WHERE disposition = ''RETRY'' AND retry_count >= max_retries',
            v_name || '_exhausted_idx', v_schema, v_name);
        EXECUTE pg_catalog.format(
            'CREATE INDEX IF NOT EXISTS %I ON %I.%I (created_at, error_id)',
            v_name || '_created_at_id_idx', v_schema, v_name);
        -- the (created_at, error_id) index serves every lookup by created_at
        EXECUTE pg_catalog.format('DROP INDEX IF EXISTS %I.%I', v_schema, v_name || '_created_at_idx');
    END LOOP;
END
$$;
