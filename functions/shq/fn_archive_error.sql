-- shq.fn_archive_error: an operator archives one governed error now, whatever its disposition
-- (docs/reference/governance.md): moved to the archive with reason MANUAL in one statement, audited.
CREATE OR REPLACE FUNCTION shq.fn_archive_error(p_error_table text, p_error_id bigint, p_reason text, p_actor text)
RETURNS shq.error_disposition
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $$
-- %5$s is a column list of quote_ident()ed catalog names (shq._archive_copy_columns):
-- @plpgsql_check_options: security_warnings = false
DECLARE
    v_reg shq.governed_error_tables;
    v_from shq.error_disposition;
    v_moved bigint;
    v_inserted bigint;
BEGIN
    v_reg := shq._governed_table(p_error_table);
    PERFORM shq._check_reason_actor('archiving an error', p_reason, p_actor);
    v_from := shq._lock_error(v_reg, p_error_id);
    EXECUTE format($q$
        WITH moved AS (
            DELETE FROM %1$I.%2$I AS t WHERE t.error_id = $1 RETURNING t.*
        ), ins AS (
            INSERT INTO %3$I.%4$I (%5$s, disposition, archived_at, archived_by, archive_reason,
                              final_disposition, retention_expires_at)
            SELECT %5$s, 'ARCHIVED', now(), $2, 'MANUAL', m.disposition, now() + $3
              FROM moved AS m
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM ins)$q$,
        split_part(v_reg.table_name, '.', 1), split_part(v_reg.table_name, '.', 2), split_part(v_reg.archive_table, '.', 1), split_part(v_reg.archive_table, '.', 2),
        shq._archive_copy_columns(v_reg.table_name, v_reg.archive_table))
        INTO v_moved, v_inserted
        USING p_error_id, btrim(p_actor), v_reg.retention;
    IF v_moved <> 1 OR v_inserted <> 1 THEN
        RAISE EXCEPTION 'archiving error % of % deleted % rows but inserted %', p_error_id, v_reg.table_name, v_moved, v_inserted
            USING ERRCODE = 'P0004', HINT = 'Nothing was changed; check triggers on ' || v_reg.archive_table || '.';
    END IF;
    PERFORM shq._audit_error_action('ERROR_MANUAL_ARCHIVE', v_reg.table_name, p_error_id, p_reason, p_actor,
                                    v_from, 'ARCHIVED');
    RETURN 'ARCHIVED'::shq.error_disposition;
END
$$;
COMMENT ON FUNCTION shq.fn_archive_error(text, bigint, text, text) IS
    'Operator action: moves one governed error (any disposition, PARKED included) to its archive with archive_reason MANUAL and archived_by = p_actor, and writes an ERROR_MANUAL_ARCHIVE audit row; returns ARCHIVED. Unknown table or blank reason/actor 22023, unknown error_id P0002 (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_archive_error(text, bigint, text, text) TO outreach_governor;
