-- shq._audit_row_text_sql: the SQL expression of a row's canonical text, the
-- unit the seal digests are computed over (tamper evidence).
CREATE OR REPLACE FUNCTION shq._audit_row_text_sql(p_table regclass, p_columns text[], p_source text,
                                                   p_from_jsonb boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
-- Canonical text of a row = json_build_array(<its values, in p_columns order>)::text,
-- computed under shq._audit_digest_settings() (the callers set them), e.g.
--   [42, "2025-01-31T09:00:00.123456+00:00", "SMOKE_TEST", "postgres", null, {"k": 1}]
-- A value whose json rendering could differ from its jsonb rendering (arrays,
-- json, floats, composites, domains, anything not in the list below) goes
-- through to_jsonb() first, so that the text of a live row (p_source = the
-- table's alias) equals the text rebuilt from its tombstone (p_from_jsonb:
-- p_source is a to_jsonb(row) value; each element is <p_source> -> 'column').
-- p_source comes from the sealing code, never from a caller.
DECLARE
    v_parts text;
    v_missing text;
BEGIN
    IF p_columns IS NULL OR cardinality(p_columns) = 0 THEN
        RAISE EXCEPTION 'no columns given for the canonical row text'
            USING ERRCODE = '22023', HINT = 'Pass the table''s column names in attnum order.';
    END IF;
    IF cardinality(p_columns) > 100 THEN
        RAISE EXCEPTION 'a sealed table may have at most 100 columns (got %)', cardinality(p_columns)
            USING ERRCODE = '22023', HINT = 'json_build_array takes at most 100 arguments.';
    END IF;
    IF p_from_jsonb THEN
        SELECT string_agg(format('%s OPERATOR(pg_catalog.->) %L', p_source, c.col), ', ' ORDER BY c.n)
          INTO v_parts FROM unnest(p_columns) WITH ORDINALITY AS c(col, n);
    ELSE
        SELECT string_agg(c.col, ', ') INTO v_missing
          FROM unnest(p_columns) AS c(col)
         WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                            WHERE a.attrelid = p_table AND a.attname = c.col AND a.attnum > 0 AND NOT a.attisdropped);
        IF v_missing IS NOT NULL THEN
            RAISE EXCEPTION 'sealed column(s) % no longer in %', v_missing, p_table
                USING ERRCODE = '42703', HINT = 'A column that seals cover must not be dropped or renamed.';
        END IF;
        SELECT string_agg(
                   CASE WHEN a.atttypid IN ('text'::regtype, 'varchar'::regtype, 'int2'::regtype, 'int4'::regtype,
                                            'int8'::regtype, 'numeric'::regtype, 'bool'::regtype, 'uuid'::regtype,
                                            'timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype,
                                            'jsonb'::regtype)
                        THEN format('%I.%I', p_source, c.col)
                        ELSE format('pg_catalog.to_jsonb(%I.%I)', p_source, c.col) END,
                   ', ' ORDER BY c.n)
          INTO v_parts
          FROM unnest(p_columns) WITH ORDINALITY AS c(col, n)
          JOIN pg_attribute a ON a.attrelid = p_table AND a.attname = c.col;
    END IF;
    RETURN format('pg_catalog.json_build_array(%s)::text', v_parts);
END
$$;
COMMENT ON FUNCTION shq._audit_row_text_sql(regclass, text[], text, boolean) IS
    'Internal: the SQL expression of a row''s canonical text, json_build_array(<values in column order, non-scalar ones through to_jsonb>)::text, over a table alias or (p_from_jsonb) a to_jsonb(row) value (tamper evidence).';
GRANT EXECUTE ON FUNCTION shq._audit_row_text_sql(regclass, text[], text, boolean) TO outreach_governor;
