-- outreach.send_log: every send to analytics, a direct send's request to the senders, a queued request
-- marked sent, in the same transaction (docs/consuming-events.md). ENABLE ORIGIN, like every outbox trigger.
CREATE OR REPLACE TRIGGER trg_send_log_800_outbox
    AFTER INSERT ON outreach.send_log
    REFERENCING NEW TABLE AS new_sends
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_send_log__after_insert_outbox();
