-- shq.fn_audit_sealed_tables: the audited (append-only) tables the seal chain
-- covers and the key that orders each one (tamper evidence, SPEC §0 tables).
CREATE OR REPLACE FUNCTION shq.fn_audit_sealed_tables()
RETURNS TABLE (table_name text, id_column text)
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- send_attempt_audit's key is a uuid; audit_seq (identity, unique) gives
    -- its insertion order. Every key is a bigint identity column.
    VALUES ('outreach.bit_signals'::text, 'signal_id'::text),
           ('outreach.engagement_events', 'event_id'),
           ('outreach.override_audit_log', 'audit_id'),
           ('outreach.send_attempt_audit', 'audit_seq'),
           ('shq.audit_log', 'audit_id'),
           ('shq.tool_violations', 'violation_id');
$$;
COMMENT ON FUNCTION shq.fn_audit_sealed_tables() IS
    'The append-only tables that shq.fn_seal_audit_tables seals and shq.fn_verify_audit_seals checks, with the bigint identity column that orders each (tamper evidence).';
GRANT EXECUTE ON FUNCTION shq.fn_audit_sealed_tables() TO outreach_governor;
