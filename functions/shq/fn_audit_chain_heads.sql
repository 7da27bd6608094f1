-- shq.fn_audit_chain_heads: the newest seal of each audited table, the value
-- an operator stores outside the database (tamper evidence).
CREATE OR REPLACE FUNCTION shq.fn_audit_chain_heads()
RETURNS TABLE (table_name text, seal_id bigint, last_id bigint, seals bigint, rows_sealed bigint,
               sealed_at timestamptz, digest text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.table_name, h.seal_id, h.last_id, coalesce(a.seals, 0), coalesce(a.rows_sealed, 0),
           h.sealed_at, pg_catalog.encode(h.digest, 'hex')
      FROM shq.fn_audit_sealed_tables() AS t
      LEFT JOIN LATERAL (SELECT s.seal_id, s.last_id, s.sealed_at, s.digest
                           FROM shq.audit_seals s
                          WHERE s.table_name = t.table_name
                          ORDER BY s.seal_id DESC
                          LIMIT 1) AS h ON true
      LEFT JOIN LATERAL (SELECT count(*) AS seals, sum(s.row_count)::bigint AS rows_sealed
                           FROM shq.audit_seals s
                          WHERE s.table_name = t.table_name) AS a ON true
     ORDER BY t.table_name;
$$;
COMMENT ON FUNCTION shq.fn_audit_chain_heads() IS
    'The chain head (newest seal: id, last sealed id, digest) of every audited table, with how many seals and rows lie behind it; store it outside the database to detect a rewritten chain (tamper evidence).';
GRANT EXECUTE ON FUNCTION shq.fn_audit_chain_heads() TO outreach_governor;
