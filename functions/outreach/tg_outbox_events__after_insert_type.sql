-- outreach.tg_outbox_events__after_insert_type(): every event's (destination, event_type) is a row of
-- outreach.outbox_event_types, checked per statement without locking it (db/1150_outbox_event_types_unlocked.sql).
CREATE OR REPLACE FUNCTION outreach.tg_outbox_events__after_insert_type()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
-- @plpgsql_check_options: newtable = new_events
-- Not a foreign key: its check would lock the type's row FOR KEY SHARE, and
-- every send writes the same two types, so concurrent sends queued on those
-- rows. Reading them without a lock is safe because a type is never removed
-- or renamed (tg_outbox_event_types__before_change).
DECLARE
    v_destination text;
    v_event_type text;
BEGIN
    SELECT n.destination, n.event_type INTO v_destination, v_event_type
      FROM new_events n
     WHERE NOT EXISTS (SELECT 1 FROM outreach.outbox_event_types t
                        WHERE t.destination = n.destination AND t.event_type = n.event_type)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'outbox event type (%, %) is not in outreach.outbox_event_types',
                quote_nullable(v_destination), quote_nullable(v_event_type)
            USING ERRCODE = '23503',
                  HINT = 'Write an event of a listed type, or add the type to outreach.outbox_event_types first.';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_outbox_events__after_insert_type() IS
    'Trigger (AFTER INSERT ON outbox_events, per statement): 23503 when an event''s (destination, event_type) is not a row of outreach.outbox_event_types; checked without locking the type (docs/reference/outbox.md).';
