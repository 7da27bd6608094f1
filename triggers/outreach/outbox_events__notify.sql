-- outreach.outbox_events: per statement, one NOTIFY per destination wakes the consumers (docs/consuming-events.md);
-- not on the send path, which sets outreach.outbox_wake = 'after_commit' and wakes them after its COMMIT.
CREATE OR REPLACE TRIGGER trg_outbox_events_800_notify
    AFTER INSERT ON outreach.outbox_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT
    WHEN (COALESCE(pg_catalog.current_setting('outreach.outbox_wake', true), '') OPERATOR(pg_catalog.<>) 'after_commit')
    EXECUTE FUNCTION outreach.tg_outbox_events__after_insert();
