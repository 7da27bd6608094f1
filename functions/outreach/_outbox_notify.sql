-- outreach._outbox_notify: wake the consumers of the given destinations: one pg_notify, with an empty payload,
-- on each one's channel (outreach.outbox_destinations.channel); the events trigger's NOTIFY (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach._outbox_notify(p_destinations text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- Called by the outbox_events trigger (delivered at its transaction's
-- commit). outreach.fn_outbox_wake (after the send's commit) notifies in a
-- statement of its own, with the same channels and order. The
-- notification only says "claim now": it carries nothing a consumer must
-- not miss. A destination named twice, or unknown, is notified once or not.
DECLARE
    v_channel text;
    v_count integer := 0;
BEGIN
    FOR v_channel IN
        SELECT d.channel FROM outreach.outbox_destinations d
         WHERE d.destination = ANY (p_destinations)
         ORDER BY d.destination
    LOOP
        PERFORM pg_notify(v_channel, '');
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION outreach._outbox_notify(text[]) IS
    'Internal: pg_notify (empty payload) on the channel of each destination of p_destinations (outreach.outbox_destinations.channel); returns how many channels. The NOTIFY of the outbox''s events trigger; outreach.fn_outbox_wake, after a send''s commit, reads the same channels in one statement of its own.';
