-- outreach.outbox_events: per statement, every event's type is a listed one (23503), then one NOTIFY per destination
-- wakes the consumers (docs/consuming-events.md); one trigger, not two, on every send's statement.
CREATE OR REPLACE TRIGGER trg_outbox_events_800_notify
    AFTER INSERT ON outreach.outbox_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_outbox_events__after_insert();
