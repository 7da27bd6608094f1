-- shq._audit_error_action: the shq.audit_log row of a manual error governance action (docs/reference/operations.md).
-- Private helper, called inside the SECURITY DEFINER action in its transaction.
CREATE OR REPLACE FUNCTION shq._audit_error_action(
    p_event_type text, p_table text, p_error_id bigint, p_reason text, p_actor text,
    p_from shq.error_disposition, p_to shq.error_disposition)
RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO shq.audit_log (event_type, actor, details)
    VALUES (p_event_type, btrim(p_actor),
            jsonb_build_object('table_name', p_table, 'error_id', p_error_id, 'reason', btrim(p_reason),
                               'from_disposition', p_from, 'to_disposition', p_to,
                               'session_user', session_user::text));
$$;
COMMENT ON FUNCTION shq._audit_error_action(text, text, bigint, text, text, shq.error_disposition, shq.error_disposition) IS
    'Private: appends the audit row of a manual archive/resolve/un-park (actor = the named actor; details: table, id, reason, from/to disposition, session user) (docs/reference/operations.md).';
