-- shq._governed_table: resolve an error table name against the registry shq.governed_error_tables
-- (docs/reference/governance.md). Private helper of the error governance functions: blank or unknown name -> 22023.
CREATE OR REPLACE FUNCTION shq._governed_table(p_error_table text)
RETURNS shq.governed_error_tables
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_reg shq.governed_error_tables;
BEGIN
    IF shq.fn_is_blank(p_error_table) THEN
        RAISE EXCEPTION 'error table name must not be NULL or blank'
            USING ERRCODE = '22023',
                  HINT = 'Name a governed error table, schema-qualified (e.g. ''outreach.dol_errors''); they are listed in shq.governed_error_tables.';
    END IF;
    SELECT g.* INTO v_reg
      FROM shq.governed_error_tables g
     WHERE g.table_name = lower(btrim(p_error_table));
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown error table %', quote_literal(p_error_table)
            USING ERRCODE = '22023',
                  DETAIL = 'Governed error tables: '
                           || coalesce((SELECT string_agg(g.table_name, ', ' ORDER BY g.display_order)
                                          FROM shq.governed_error_tables g), '(none)') || '.',
                  HINT = 'Name a table of shq.governed_error_tables, schema-qualified as listed there.';
    END IF;
    IF to_regclass(v_reg.table_name) IS NULL OR to_regclass(v_reg.archive_table) IS NULL THEN
        RAISE EXCEPTION 'governed error table % (archive %) is registered but does not exist',
                        v_reg.table_name, v_reg.archive_table
            USING ERRCODE = '42P01',
                  HINT = 'A registry row needs its table and archive created by a migration (see db/0004_error_governance_tables.sql).';
    END IF;
    RETURN v_reg;
END
$$;
COMMENT ON FUNCTION shq._governed_table(text) IS
    'Private: the registry row of a governed error table (schema-qualified name); 22023 when blank or unknown (docs/reference/governance.md).';
