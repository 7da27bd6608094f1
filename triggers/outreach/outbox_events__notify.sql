-- outreach.outbox_events: one NOTIFY per destination and statement wakes the consumers (docs/consuming-events.md).
CREATE OR REPLACE TRIGGER trg_outbox_events_800_notify
    AFTER INSERT ON outreach.outbox_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_outbox_events__after_insert();
