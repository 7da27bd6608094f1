-- outreach.send_log: a send moves its target's outreach_status, queued -> active -> exhausted (docs/reference/gate.md).
CREATE OR REPLACE TRIGGER trg_send_log_500_status_transition
    AFTER INSERT ON outreach.send_log
    REFERENCING NEW TABLE AS new_sends
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_send_log__after_insert();
ALTER TABLE outreach.send_log ENABLE ALWAYS TRIGGER trg_send_log_500_status_transition;
