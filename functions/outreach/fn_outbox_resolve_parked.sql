-- outreach.fn_outbox_resolve_parked: an operator closes parked events of a consumer after handling them by
-- hand; retention may then archive them (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach.fn_outbox_resolve_parked(
    p_consumer text,
    p_event_ids bigint[],
    p_resolution text,
    p_actor text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_count integer;
BEGIN
    PERFORM shq._check_reason_actor('resolving parked outbox events', p_resolution, p_actor);
    UPDATE outreach.outbox_parked pk
       SET resolved_at = now(), resolved_by = p_actor, resolution = p_resolution
     WHERE pk.consumer = p_consumer AND pk.event_id = ANY (p_event_ids) AND pk.resolved_at IS NULL;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    IF v_count > 0 THEN
        INSERT INTO shq.audit_log (event_type, actor, details)
        VALUES ('OUTBOX_PARKED_RESOLVED', p_actor,
                jsonb_build_object('consumer', p_consumer, 'event_ids', to_jsonb(p_event_ids), 'resolved', v_count,
                                   'resolution', p_resolution));
    END IF;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION outreach.fn_outbox_resolve_parked(text, bigint[], text, text) IS
    'Marks a consumer''s parked events resolved (handled by hand), with resolution and actor, audited in shq.audit_log; returns how many were open. 22023 blank resolution or actor (docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_outbox_resolve_parked(text, bigint[], text, text) TO outreach_governor;
