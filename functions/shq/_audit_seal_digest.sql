-- shq._audit_seal_digest: the chain link of one seal, sha256 over its fields
-- and the previous seal's digest (tamper evidence).
CREATE OR REPLACE FUNCTION shq._audit_seal_digest(
    p_table_name text,
    p_id_column text,
    p_first_id bigint,
    p_last_id bigint,
    p_row_count bigint,
    p_columns text[],
    p_row_digest bytea,
    p_prev_digest bytea,
    p_sealed_at timestamptz)
RETURNS bytea
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    -- jsonb orders the keys itself, and sealed_at is written in UTC whatever
    -- the session's TimeZone (the text jsonb gives a timestamptz under
    -- TimeZone UTC: the timestamp, then +00:00), so the text (and the digest)
    -- is the same on every server and session:
    -- {"table": ..., "last_id": ..., "columns": [...], "first_id": ..., ...}
    SELECT pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.jsonb_build_object(
        'table', p_table_name,
        'id_column', p_id_column,
        'first_id', p_first_id,
        'last_id', p_last_id,
        'row_count', p_row_count,
        'columns', pg_catalog.to_jsonb(p_columns),
        'row_digest', pg_catalog.encode(p_row_digest, 'hex'),
        'prev_digest', pg_catalog.encode(p_prev_digest, 'hex'),
        'sealed_at', (pg_catalog.to_jsonb(pg_catalog.timezone('UTC', p_sealed_at)) OPERATOR(pg_catalog.#>>) '{}')
                     OPERATOR(pg_catalog.||) '+00:00')::text, 'UTF8'));
$$;
COMMENT ON FUNCTION shq._audit_seal_digest(text, text, bigint, bigint, bigint, text[], bytea, bytea, timestamptz) IS
    'Internal: a seal''s chain digest, sha256 of the jsonb text of its fields (table, id_column, range, row_count, columns, row_digest, prev_digest, sealed_at in UTC) (tamper evidence).';
GRANT EXECUTE ON FUNCTION shq._audit_seal_digest(text, text, bigint, bigint, bigint, text[], bytea, bytea, timestamptz) TO outreach_governor;
