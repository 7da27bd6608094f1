-- shq._each_governed_table: the loop the error governance jobs share (docs/reference/governance.md): one statement per
-- table of the registry shq.governed_error_tables, in its order, with the rows each one affected.
CREATE OR REPLACE FUNCTION shq._each_governed_table(p_statement text, p_on_archive boolean DEFAULT false)
RETURNS TABLE (table_name text, affected bigint)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- p_statement is a format() template from the calling job's own source, never
-- from a caller: %1$I.%2$I names the governed table (with p_on_archive, its
-- archive table). Rows are named by the governed table either way (the
-- registry key). Private: only the SECURITY DEFINER jobs call it, as the owner.
-- @plpgsql_check_options: security_warnings = false
DECLARE
    r shq.governed_error_tables;
    v_target text;
BEGIN
    FOR r IN SELECT g.* FROM shq.governed_error_tables g ORDER BY g.display_order LOOP
        PERFORM shq._governed_table(r.table_name);
        v_target := CASE WHEN p_on_archive THEN r.archive_table ELSE r.table_name END;
        EXECUTE format(p_statement, split_part(v_target, '.', 1), split_part(v_target, '.', 2));
        GET DIAGNOSTICS affected = ROW_COUNT;
        table_name := r.table_name;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION shq._each_governed_table(text, boolean) IS
    'Private: runs a governance job''s statement template (%1$I.%2$I = the table, or its archive) once per governed error table, in registry order; one row per table with the rows affected (docs/reference/governance.md).';
