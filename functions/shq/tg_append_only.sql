-- shq.tg_append_only(): the one append-only mechanism (docs/reference/conventions.md).
-- Statement-level BEFORE UPDATE / DELETE / TRUNCATE on every append-only
-- table, ENABLE ALWAYS so session_replication_role = replica does not skip it.
CREATE OR REPLACE FUNCTION shq.tg_append_only()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The sanctioned exceptions (shq._deletion_sanctioned): the cascade deletes
    -- a removed company's rows (audited there), a table's retention
    -- deleter moves its rows to the archive; both run as the owner.
    IF TG_OP = 'DELETE' AND current_user = 'outreach_owner' THEN
        IF shq._deletion_sanctioned(TG_RELID) THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION '% on %.% is not allowed: the table is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'OG004',
              DETAIL = format('table %I.%I keeps every row it was given', TG_TABLE_SCHEMA, TG_TABLE_NAME),
              HINT = 'Append a new row that records the correction instead of changing or removing an old one.';
END
$$;
COMMENT ON FUNCTION shq.tg_append_only() IS
    'Trigger: raises OG004 on UPDATE, DELETE or TRUNCATE of an append-only table, for every role (docs/reference/conventions.md).';
