-- shq.fn_resolve_error: an operator marks one governed error RESOLVED (docs/reference/governance.md), from
-- RETRY, PARKED or IGNORE; it stops blocking promotion and expires by its TTL. Audited.
CREATE OR REPLACE FUNCTION shq.fn_resolve_error(p_error_table text, p_error_id bigint, p_reason text, p_actor text)
RETURNS shq.error_disposition
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
SET lock_timeout = '5s'
AS $$
DECLARE
    v_reg shq.governed_error_tables;
    v_from shq.error_disposition;
BEGIN
    v_reg := shq._governed_table(p_error_table);
    PERFORM shq._check_reason_actor('resolving an error', p_reason, p_actor);
    v_from := shq._lock_error(v_reg, p_error_id);
    IF v_from = 'RESOLVED' THEN
        RAISE EXCEPTION 'error % of % is already RESOLVED', p_error_id, v_reg.table_name
            USING ERRCODE = '22023', HINT = 'Nothing to do; it leaves with its TTL.';
    END IF;
    EXECUTE format('UPDATE %I.%I SET disposition = ''RESOLVED'', resolved_at = now(), next_retry_at = NULL'
                   ' WHERE error_id = $1', split_part(v_reg.table_name, '.', 1), split_part(v_reg.table_name, '.', 2))
        USING p_error_id;
    PERFORM shq._audit_error_action('ERROR_MANUAL_RESOLVE', v_reg.table_name, p_error_id, p_reason, p_actor,
                                    v_from, 'RESOLVED');
    RETURN 'RESOLVED'::shq.error_disposition;
END
$$;
COMMENT ON FUNCTION shq.fn_resolve_error(text, bigint, text, text) IS
    'Operator action: marks one governed error RESOLVED (resolved_at now) from RETRY, PARKED or IGNORE, and writes an ERROR_MANUAL_RESOLVE audit row; returns RESOLVED. Already RESOLVED, unknown table, blank reason/actor 22023; unknown error_id P0002 (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_resolve_error(text, bigint, text, text) TO outreach_governor;
