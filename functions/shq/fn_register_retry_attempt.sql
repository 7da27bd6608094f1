-- shq.fn_register_retry_attempt: the outcome of one retry of a governed error (docs/reference/governance.md):
-- success -> RESOLVED; failure -> backoff 5 min x 2^retry_count (max 24 h), PARKED at max_retries.
CREATE OR REPLACE FUNCTION shq.fn_register_retry_attempt(p_error_table text, p_error_id bigint, p_succeeded boolean)
RETURNS shq.error_disposition
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_reg shq.governed_error_tables;
    v_schema text;
    v_name text;
    v_disposition shq.error_disposition;
    v_found integer;
    v_result shq.error_disposition;
BEGIN
    v_reg := shq._governed_table(p_error_table);
    IF p_error_id IS NULL THEN
        RAISE EXCEPTION 'error_id must not be NULL (table %)', v_reg.table_name
            USING ERRCODE = '22023', HINT = 'Pass the error_id shq.fn_record_error returned.';
    END IF;
    IF p_succeeded IS NULL THEN
        RAISE EXCEPTION 'p_succeeded must be true or false, not NULL (error % of %)', p_error_id, v_reg.table_name
            USING ERRCODE = '22023', HINT = 'true: the retry worked (RESOLVED); false: it failed again.';
    END IF;
    v_schema := split_part(v_reg.table_name, '.', 1);
    v_name := split_part(v_reg.table_name, '.', 2);

    -- Lock the row: concurrent reports on one error apply one after the other.
    EXECUTE format('SELECT disposition FROM %I.%I WHERE error_id = $1 FOR UPDATE', v_schema, v_name)
        INTO v_disposition USING p_error_id;
    GET DIAGNOSTICS v_found = ROW_COUNT;
    IF v_found = 0 THEN
        PERFORM shq._missing_error(v_reg, p_error_id);
    END IF;
    IF v_disposition <> 'RETRY' THEN
        RAISE EXCEPTION 'error % of % is %, not RETRY: no retry is due', p_error_id, v_reg.table_name, v_disposition
            USING ERRCODE = '22023',
                  HINT = CASE v_disposition
                             WHEN 'PARKED' THEN 'A parked error is retried only after an operator un-parks it (shq.fn_unpark_error).'
                             ELSE 'Only errors in RETRY take retry attempts; record a new error if the failure recurs.'
                         END;
    END IF;

    IF p_succeeded THEN
        EXECUTE format(
            'UPDATE %I.%I SET disposition = ''RESOLVED'', resolved_at = now(), last_retry_at = now(),'
            ' next_retry_at = NULL WHERE error_id = $1 RETURNING disposition', v_schema, v_name)
            INTO v_result USING p_error_id;
    ELSE
        -- retry_count below is the new count; least(.., 9) keeps 2^n finite
        -- (5 min x 2^9 > 24 h already).
        EXECUTE format($q$
            UPDATE %I.%I
               SET retry_count = retry_count + 1,
                   last_retry_at = now(),
                   disposition = CASE WHEN retry_count + 1 >= max_retries THEN 'PARKED'::shq.error_disposition
                                      ELSE 'RETRY'::shq.error_disposition END,
                   retry_exhausted = (retry_count + 1 >= max_retries),
                   next_retry_at = CASE WHEN retry_count + 1 >= max_retries THEN NULL
                                        ELSE now() + least(interval '5 minutes' * power(2, least(retry_count + 1, 9))::integer,
                                                           interval '24 hours') END,
                   parked_at = CASE WHEN retry_count + 1 >= max_retries THEN now() ELSE parked_at END,
                   parked_by = CASE WHEN retry_count + 1 >= max_retries THEN session_user::text ELSE parked_by END,
                   park_reason = CASE WHEN retry_count + 1 >= max_retries THEN 'MAX_RETRIES_EXCEEDED' ELSE park_reason END
             WHERE error_id = $1
            RETURNING disposition$q$, v_schema, v_name)
            INTO v_result USING p_error_id;
    END IF;
    RETURN v_result;
END
$$;
COMMENT ON FUNCTION shq.fn_register_retry_attempt(text, bigint, boolean) IS
    'Registers one retry of a RETRY error: success -> RESOLVED (resolved_at); failure -> retry_count+1, next_retry_at = now() + 5 min x 2^retry_count (max 24 h), PARKED with MAX_RETRIES_EXCEEDED at max_retries. Returns the new disposition. Unknown table 22023, unknown error_id P0002, error not in RETRY 22023 (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_register_retry_attempt(text, bigint, boolean) TO outreach_hub_writer, outreach_governor;
