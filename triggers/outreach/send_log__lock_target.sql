-- outreach.send_log: a send locks its Company Target before the gate guard reads it (status transitions).
CREATE OR REPLACE TRIGGER trg_send_log_005_lock_target
    BEFORE INSERT ON outreach.send_log
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_send_log__before_insert_lock_target();
ALTER TABLE outreach.send_log ENABLE ALWAYS TRIGGER trg_send_log_005_lock_target;
