-- outreach.tg_engagement_events__after_insert(): what an engagement event does (docs/reference/gate.md):
-- UNSUBSCRIBE opts the target out (the gate then blocks it), REPLY adds an ENGAGEMENT_REPLY BIT signal.
CREATE OR REPLACE FUNCTION outreach.tg_engagement_events__after_insert()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- SECURITY DEFINER: the sender inserts events but holds no UPDATE on
    -- company_target and no EXECUTE on the BIT signal writer.
    IF NEW.event_type = 'UNSUBSCRIBE' THEN
        UPDATE outreach.company_target t
           SET outreach_status = 'opted_out',
               status_reason = format('UNSUBSCRIBE (engagement event %s, send %s)', NEW.event_id, NEW.send_id),
               updated_at = now()
         WHERE t.target_id = NEW.target_id
           AND t.outreach_status <> 'opted_out';
    ELSIF NEW.event_type = 'REPLY' THEN
        -- one signal per reply event, however often this is replayed
        PERFORM outreach.fn_add_bit_signal(NEW.company_unique_id, 'ENGAGEMENT_REPLY', NEW.occurred_at,
                                           'event:' || NEW.event_id::text);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_engagement_events__after_insert() IS
    'Trigger: an UNSUBSCRIBE event sets its target''s outreach_status to opted_out; a REPLY event adds an ENGAGEMENT_REPLY BIT signal at the event''s occurred_at, dedup key event:<event_id> (docs/reference/gate.md).';
