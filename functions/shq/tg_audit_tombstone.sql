-- shq.tg_audit_tombstone(<id column>): AFTER DELETE (statement, transition
-- table old_rows) on each audited table: keep every deleted row (tamper evidence).
CREATE OR REPLACE FUNCTION shq.tg_audit_tombstone()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
-- The append-only guard lets only a sanctioned deleter (shq._deletion_sanctioned:
-- the cascade, or the table's retention deleter, as the owner) delete; anything
-- else that gets here bypassed the guard. Both are recorded, with `sanctioned`
-- telling them apart, so that shq.fn_verify_audit_seals can recompute a seal
-- over the deleted rows and still report a deletion no sanctioned deleter made. to_jsonb(row) runs
-- with the settings of the canonical row text (shq._audit_digest_settings).
DECLARE
    v_settings text[] := shq._audit_digest_settings();
    -- only the owner may ask (and anyone else is not sanctioned)
    v_sanctioned boolean := CASE WHEN current_user = 'outreach_owner' THEN shq._deletion_sanctioned(TG_RELID)
                                 ELSE false END;
BEGIN
    INSERT INTO shq.audit_seal_tombstones (table_name, row_id, row_data, sanctioned)
    SELECT TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME,
           (to_jsonb(o.*) ->> TG_ARGV[0])::bigint,
           to_jsonb(o.*),
           v_sanctioned
      FROM old_rows AS o;
    PERFORM shq._audit_digest_settings(v_settings);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION shq.tg_audit_tombstone() IS
    'Trigger: copies every row deleted from an audited table (TG_ARGV[0] = its ordering key) to shq.audit_seal_tombstones, marked sanctioned when a sanctioned deleter (the cascade, the table''s retention deleter) deleted it (tamper evidence).';
