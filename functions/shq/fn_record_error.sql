-- shq.fn_record_error: record a governed error (docs/reference/governance.md): disposition RETRY,
-- ttl_tier from the failure code unless given, max_retries from the registry, first retry in 5 min.
CREATE OR REPLACE FUNCTION shq.fn_record_error(
    p_error_table text,
    p_outreach_id uuid,
    p_failure_code text,
    p_error_message text,
    p_context jsonb DEFAULT '{}',
    p_ttl_tier shq.ttl_tier DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_reg shq.governed_error_tables;
    v_id bigint;
BEGIN
    v_reg := shq._governed_table(p_error_table);
    IF shq.fn_is_blank(p_failure_code) THEN
        RAISE EXCEPTION 'failure_code must not be NULL or blank (table %)', v_reg.table_name
            USING ERRCODE = '22023',
                  HINT = 'Pass a failure code such as RATE_LIMIT, TIMEOUT, VALIDATION_ERROR, MISSING_DATA or your own.';
    END IF;
    IF p_context IS NOT NULL AND jsonb_typeof(p_context) <> 'object' THEN
        RAISE EXCEPTION 'context must be a JSON object, got %', jsonb_typeof(p_context)
            USING ERRCODE = '22023', HINT = 'Pass a jsonb object (or NULL for {}).';
    END IF;
    EXECUTE format(
        'INSERT INTO %I.%I (outreach_id, failure_code, error_message, context, disposition, retry_count,'
        ' max_retries, ttl_tier, next_retry_at)'
        ' VALUES ($1, $2, $3, $4, ''RETRY'', 0, $5, $6, now() + interval ''5 minutes'')'
        ' RETURNING error_id',
        split_part(v_reg.table_name, '.', 1), split_part(v_reg.table_name, '.', 2))
        INTO v_id
        USING p_outreach_id, btrim(p_failure_code), p_error_message, coalesce(p_context, '{}'::jsonb),
              v_reg.max_retries, coalesce(p_ttl_tier, shq.fn_default_ttl_tier(p_failure_code));
    RETURN v_id;
END
$$;
COMMENT ON FUNCTION shq.fn_record_error(text, uuid, text, text, jsonb, shq.ttl_tier) IS
    'Records an error in a governed error table (schema-qualified name): RETRY, ttl_tier from the failure code when NULL, max_retries from shq.governed_error_tables, next_retry_at now()+5 min; returns error_id. Unknown table or blank failure_code: 22023 (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_record_error(text, uuid, text, text, jsonb, shq.ttl_tier)
    TO outreach_hub_writer, outreach_governor;
