-- shq._deletion_sanctioned: may this transaction delete rows of the append-only table p_table? The one
-- rule of sanctioned deletions, read by the append-only guard and the tombstones (tamper evidence).
CREATE OR REPLACE FUNCTION shq._deletion_sanctioned(p_table regclass)
RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
-- Only a sanctioned writer, which runs as outreach_owner (SECURITY DEFINER)
-- and names itself with shq.fn_sanction, deletes from an append-only table:
-- outreach.fn_delete_outreach_cascade (a removed company's rows, any table),
-- or the retention deleter the registry shq.guarded_tables names for
-- p_table (kind retention), which moves the rows to its archive. Callers
-- check current_user first: no other role may execute this function.
DECLARE
    v_marks text[] := string_to_array(coalesce(current_setting('shq.sanctioned_writer', true), ''), ',');
BEGIN
    IF current_user <> 'outreach_owner' THEN
        RETURN false;
    END IF;
    RETURN 'outreach.fn_delete_outreach_cascade' = ANY (v_marks)
        OR EXISTS (SELECT 1 FROM shq.guarded_tables g
                    WHERE g.table_name = p_table AND g.kind = 'retention' AND g.deleter = ANY (v_marks));
END
$$;
COMMENT ON FUNCTION shq._deletion_sanctioned(regclass) IS
    'Internal: true when the current transaction, as outreach_owner, runs a sanctioned deleter of the append-only table p_table: the cascade (outreach.fn_delete_outreach_cascade) or the table''s retention deleter of shq.guarded_tables (tamper evidence).';
