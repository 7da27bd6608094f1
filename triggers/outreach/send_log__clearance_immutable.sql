-- outreach.send_log: a recorded send keeps its company, target, campaign, channel and verdict (OG008).
CREATE OR REPLACE TRIGGER trg_send_log_011_clearance_immutable
    BEFORE UPDATE ON outreach.send_log
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_send_log__before_update();
ALTER TABLE outreach.send_log ENABLE ALWAYS TRIGGER trg_send_log_011_clearance_immutable;
