-- shq._lock_error: lock one governed error row for a manual action and return its disposition
-- (docs/reference/governance.md). Private helper: NULL id -> 22023; unknown id -> P0002 (via shq._missing_error).
CREATE OR REPLACE FUNCTION shq._lock_error(p_reg shq.governed_error_tables, p_error_id bigint)
RETURNS shq.error_disposition
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_disposition shq.error_disposition;
    v_found integer;
BEGIN
    IF p_error_id IS NULL THEN
        RAISE EXCEPTION 'error_id must not be NULL (table %)', p_reg.table_name
            USING ERRCODE = '22023', HINT = 'Pass the error_id of the row to act on.';
    END IF;
    EXECUTE format('SELECT disposition FROM %I.%I WHERE error_id = $1 FOR UPDATE', split_part(p_reg.table_name, '.', 1), split_part(p_reg.table_name, '.', 2))
        INTO v_disposition USING p_error_id;
    GET DIAGNOSTICS v_found = ROW_COUNT;
    IF v_found = 0 THEN
        PERFORM shq._missing_error(p_reg, p_error_id);
    END IF;
    RETURN v_disposition;
END
$$;
COMMENT ON FUNCTION shq._lock_error(shq.governed_error_tables, bigint) IS
    'Private: locks a governed error row FOR UPDATE and returns its disposition; P0002 when it does not exist (docs/reference/governance.md).';
