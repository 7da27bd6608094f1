-- shq.fn_audit_sealed_tables: the audited (append-only) tables the seal chain covers and the key
-- that orders each one: the 'sealed' rows of the registry shq.guarded_tables (tamper evidence).
CREATE OR REPLACE FUNCTION shq.fn_audit_sealed_tables()
RETURNS TABLE (table_name text, id_column text)
LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    -- With this search_path a regclass prints schema-qualified.
    SELECT g.table_name::text, g.id_column::text
      FROM shq.guarded_tables g
     WHERE g.kind = 'sealed'
     ORDER BY 1;
$$;
COMMENT ON FUNCTION shq.fn_audit_sealed_tables() IS
    'The append-only tables that shq.fn_seal_audit_tables seals and shq.fn_verify_audit_seals checks, with the bigint identity column that orders each: the sealed rows of shq.guarded_tables (tamper evidence).';
GRANT EXECUTE ON FUNCTION shq.fn_audit_sealed_tables() TO outreach_governor;
