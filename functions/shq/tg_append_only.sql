-- shq.tg_append_only(): the one append-only mechanism (docs/reference/conventions.md).
-- Statement-level BEFORE UPDATE / DELETE / TRUNCATE on every append-only
-- table, ENABLE ALWAYS so session_replication_role = replica does not skip it.
CREATE OR REPLACE FUNCTION shq.tg_append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The one sanctioned exception: outreach.fn_delete_outreach_cascade, running
    -- as the owner, deletes a removed company's rows (audited there).
    IF TG_OP = 'DELETE'
       AND current_user = 'outreach_owner'
       AND 'outreach.fn_delete_outreach_cascade' = ANY (
               string_to_array(coalesce(current_setting('shq.sanctioned_writer', true), ''), ','))
    THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% on %.% is not allowed: the table is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'OG004',
              DETAIL = format('table %I.%I keeps every row it was given', TG_TABLE_SCHEMA, TG_TABLE_NAME),
              HINT = 'Append a new row that records the correction instead of changing or removing an old one.';
END
$$;
COMMENT ON FUNCTION shq.tg_append_only() IS
    'Trigger: raises OG004 on UPDATE, DELETE or TRUNCATE of an append-only table, for every role (docs/reference/conventions.md).';
