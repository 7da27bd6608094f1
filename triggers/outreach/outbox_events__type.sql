-- outreach.outbox_events: every event's (destination, event_type) is a listed type, checked per statement
-- without a row lock (db/1150_outbox_event_types_unlocked.sql). Before the NOTIFY (trg_..._800_notify).
CREATE OR REPLACE TRIGGER trg_outbox_events_100_type
    AFTER INSERT ON outreach.outbox_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_outbox_events__after_insert_type();
