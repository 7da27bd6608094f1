-- outreach.fn_outbox_drop_consumer: remove an outbox consumer that reads no more, with its cursors and parked
-- events, so that retention no longer waits for it; audited (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach.fn_outbox_drop_consumer(p_consumer text, p_reason text, p_actor text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_c outreach.outbox_consumers;
BEGIN
    PERFORM shq._check_reason_actor('dropping an outbox consumer', p_reason, p_actor);
    DELETE FROM outreach.outbox_consumers c WHERE c.consumer = p_consumer RETURNING c.* INTO v_c;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    INSERT INTO shq.audit_log (event_type, actor, details)
    VALUES ('OUTBOX_CONSUMER_DROPPED', p_actor,
            jsonb_build_object('consumer', v_c.consumer, 'destination', v_c.destination, 'reason', p_reason));
    RETURN true;
END
$$;
COMMENT ON FUNCTION outreach.fn_outbox_drop_consumer(text, text, text) IS
    'Drops an outbox consumer with its cursors, delivery notes and parked entries (the events stay); false when there was none; writes a shq.audit_log row. 22023 blank reason or actor (docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_outbox_drop_consumer(text, text, text) TO outreach_governor;
