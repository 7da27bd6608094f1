-- shq.fn_unpark_error: an operator sends one PARKED error back to RETRY with its retry count reset
-- (docs/reference/governance.md); the next retry is due in 5 minutes. Audited.
CREATE OR REPLACE FUNCTION shq.fn_unpark_error(p_error_table text, p_error_id bigint, p_reason text, p_actor text)
RETURNS shq.error_disposition
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $$
DECLARE
    v_reg shq.governed_error_tables;
    v_from shq.error_disposition;
BEGIN
    v_reg := shq._governed_table(p_error_table);
    PERFORM shq._check_reason_actor('un-parking an error', p_reason, p_actor);
    v_from := shq._lock_error(v_reg, p_error_id);
    IF v_from <> 'PARKED' THEN
        RAISE EXCEPTION 'error % of % is %, not PARKED: nothing to un-park', p_error_id, v_reg.table_name, v_from
            USING ERRCODE = '22023', HINT = 'Only PARKED errors can be un-parked.';
    END IF;
    -- escalation_level is kept: it records the highest level this error
    -- reached and never decreases.
    EXECUTE format($q$
        UPDATE %I.%I
           SET disposition = 'RETRY', retry_count = 0, retry_exhausted = false,
               parked_at = NULL, parked_by = NULL, park_reason = NULL,
               next_retry_at = now() + interval '5 minutes'
         WHERE error_id = $1$q$, split_part(v_reg.table_name, '.', 1), split_part(v_reg.table_name, '.', 2))
        USING p_error_id;
    PERFORM shq._audit_error_action('ERROR_MANUAL_UNPARK', v_reg.table_name, p_error_id, p_reason, p_actor,
                                    v_from, 'RETRY');
    RETURN 'RETRY'::shq.error_disposition;
END
$$;
COMMENT ON FUNCTION shq.fn_unpark_error(text, bigint, text, text) IS
    'Operator action: sends a PARKED error back to RETRY (retry_count 0, park fields cleared, next retry in 5 min; escalation_level kept) and writes an ERROR_MANUAL_UNPARK audit row; returns RETRY. Not PARKED, unknown table, blank reason/actor 22023; unknown error_id P0002 (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_unpark_error(text, bigint, text, text) TO outreach_governor;
