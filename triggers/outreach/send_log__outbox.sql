-- outreach.send_log: every send to analytics, a direct send's request to the senders, a queued request
-- marked sent, in the same transaction (docs/consuming-events.md). ENABLE ORIGIN, like every outbox trigger.
-- Per row: a send's events cost less to write from NEW than from a join over the statement's sends; NEW TABLE
-- only for the queued request's check that its statement records one send.
CREATE OR REPLACE TRIGGER trg_send_log_800_outbox
    AFTER INSERT ON outreach.send_log
    REFERENCING NEW TABLE AS new_sends
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_send_log__after_insert_outbox();
