-- outreach.outbox_events: per statement, one NOTIFY per destination wakes the consumers (docs/consuming-events.md);
-- not on the send path, which sets outreach.outbox_wake = 'after_commit' and wakes them after its COMMIT
-- (outreach._outbox_notify_now says which: a call is cheaper to re-read per statement than the comparison).
CREATE OR REPLACE TRIGGER trg_outbox_events_800_notify
    AFTER INSERT ON outreach.outbox_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT
    WHEN (outreach._outbox_notify_now())
    EXECUTE FUNCTION outreach.tg_outbox_events__after_insert();
