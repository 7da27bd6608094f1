-- outreach.tg_outbox_events__after_insert(): wake the consumers: one NOTIFY per destination a statement wrote
-- events for, on the destination's channel (docs/consuming-events.md). Per statement, NEW TABLE new_events.
CREATE OR REPLACE FUNCTION outreach.tg_outbox_events__after_insert()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
-- @plpgsql_check_options: newtable = new_events
-- Once per statement, not per row, with an empty payload: PostgreSQL folds
-- identical notifications of one transaction into one, delivered at commit
-- (none for a rollback). The consumer then claims; the notification carries
-- nothing it must not miss.
DECLARE
    v_channel text;
BEGIN
    FOR v_channel IN
        SELECT d.channel FROM outreach.outbox_destinations d
         WHERE EXISTS (SELECT 1 FROM new_events n WHERE n.destination = d.destination)
    LOOP
        PERFORM pg_notify(v_channel, '');
    END LOOP;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_outbox_events__after_insert() IS
    'Trigger (AFTER INSERT ON outbox_events, per statement): pg_notify on the channel of each destination the statement wrote events for (outreach.outbox_destinations.channel); LISTEN needs a direct connection (docs/consuming-events.md).';
