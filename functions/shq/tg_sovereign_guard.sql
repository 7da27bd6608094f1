-- shq.tg_sovereign_guard(): the mutation guard of the sovereign tables (docs/reference/conventions.md).
-- Statement-level BEFORE INSERT / UPDATE / DELETE / TRUNCATE, ENABLE ALWAYS.
CREATE OR REPLACE FUNCTION shq.tg_sovereign_guard()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_table text := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
    v_hint text;
BEGIN
    -- A sanctioned writer is a SECURITY DEFINER function owned by
    -- outreach_owner that names the table in the transaction-local setting
    -- shq.sanctioned_writer before it writes (see shq.fn_sanction).
    -- One expression, one read of the setting: every sanctioned write of a
    -- sovereign table (each maintained write of the eligibility row among
    -- them) runs it, and a PL/pgSQL expression is prepared again in every
    -- transaction.
    IF current_user = 'outreach_owner'
       AND string_to_array(coalesce(current_setting('shq.sanctioned_writer', true), ''), ',')
           && ARRAY[v_table, 'outreach.fn_delete_outreach_cascade']
    THEN
        RETURN NULL;
    END IF;
    -- the sanctioned writer, as the registry names it; a role that may not
    -- read the registry is refused all the same, with the generic hint
    BEGIN
        SELECT g.writer_hint INTO v_hint
          FROM shq.guarded_tables g
         WHERE g.table_name = TG_RELID AND g.kind = 'sovereign';
    EXCEPTION WHEN insufficient_privilege THEN
        v_hint := NULL;
    END;
    RAISE EXCEPTION '% on sovereign table % outside its sanctioned function', TG_OP, v_table
        USING ERRCODE = 'OG005',
              DETAIL = format('current_user %s is not a sanctioned writer of %s', current_user, v_table),
              HINT = coalesce(v_hint, 'Use the table''s sanctioned function.');
END
$$;
COMMENT ON FUNCTION shq.tg_sovereign_guard() IS
    'Trigger: raises OG005 for any write to a sovereign table that does not come from its sanctioned function, whoever the role (docs/reference/conventions.md).';
