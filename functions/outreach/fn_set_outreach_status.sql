-- outreach.fn_set_outreach_status: move a Company Target's outreach_status
-- (docs/reference/hubs.md): queued, active, exhausted, paused, opted_out, with a reason.
CREATE OR REPLACE FUNCTION outreach.fn_set_outreach_status(p_target_id text, p_status text, p_reason text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM outreach._check_target_id(p_target_id);
    IF p_status IS NULL OR p_status NOT IN ('queued', 'active', 'exhausted', 'paused', 'opted_out') THEN
        RAISE EXCEPTION 'invalid outreach_status: %', coalesce(p_status, 'NULL')
            USING ERRCODE = '22023', HINT = 'Use queued, active, exhausted, paused or opted_out.';
    END IF;
    IF shq.fn_is_blank(p_reason) THEN
        RAISE EXCEPTION 'a reason is required to change outreach_status'
            USING ERRCODE = '22023', HINT = 'Say why, e.g. ''unsubscribed'' or ''campaign finished''.';
    END IF;

    UPDATE outreach.company_target t
       SET outreach_status = p_status,
           status_reason = p_reason,
           updated_at = now()
     WHERE t.target_id = p_target_id;
    IF NOT FOUND THEN
        PERFORM outreach._raise_unknown_target(p_target_id);
    END IF;
END
$$;
COMMENT ON FUNCTION outreach.fn_set_outreach_status(text, text, text) IS
    'Sets the target''s outreach_status (queued | active | exhausted | paused | opted_out) and status_reason. 22023 blank target, bad status or blank reason; OG002 unknown target (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_set_outreach_status(text, text, text) TO outreach_hub_writer;
