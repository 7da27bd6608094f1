-- shq._missing_error: raise the "no such error" exception of the error governance functions
-- (docs/reference/governance.md). Private helper: P0002 (no_data_found), saying whether the row was archived.
CREATE OR REPLACE FUNCTION shq._missing_error(p_reg shq.governed_error_tables, p_error_id bigint)
RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_archived_at timestamptz;
    v_reason text;
BEGIN
    EXECUTE format('SELECT archived_at, archive_reason FROM %I.%I WHERE error_id = $1',
                   split_part(p_reg.archive_table, '.', 1), split_part(p_reg.archive_table, '.', 2))
        INTO v_archived_at, v_reason
        USING p_error_id;
    IF v_archived_at IS NOT NULL THEN
        RAISE EXCEPTION 'error % is no longer in %: it was archived (%) at %',
                        p_error_id, p_reg.table_name, v_reason, v_archived_at
            USING ERRCODE = 'P0002',
                  DETAIL = format('The row is in %s.', p_reg.archive_table),
                  HINT = 'Archived errors are read-only; record a new error if the failure recurs.';
    END IF;
    RAISE EXCEPTION 'error % does not exist in %', p_error_id, p_reg.table_name
        USING ERRCODE = 'P0002',
              HINT = 'Check the error_id and the table name (the error_id of shq.fn_record_error''s result).';
END
$$;
COMMENT ON FUNCTION shq._missing_error(shq.governed_error_tables, bigint) IS
    'Private: raises P0002 for an error_id not in its governed table, naming the archive when it was archived (docs/reference/governance.md).';
