-- outreach.send_log: a send takes its company's kill-switch lock before any other lock (docs/reference/gate.md).
CREATE OR REPLACE TRIGGER trg_send_log_001_kill_switch_lock
    BEFORE INSERT ON outreach.send_log
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_send_log__before_insert_kill_switch_lock();
ALTER TABLE outreach.send_log ENABLE ALWAYS TRIGGER trg_send_log_001_kill_switch_lock;
