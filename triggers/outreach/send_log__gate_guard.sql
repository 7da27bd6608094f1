-- outreach.send_log: no send without a fresh, passing, unused, matching safety-gate verdict (OG008).
CREATE OR REPLACE TRIGGER trg_send_log_010_gate_guard
    BEFORE INSERT ON outreach.send_log
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_send_log__before_insert();
ALTER TABLE outreach.send_log ENABLE ALWAYS TRIGGER trg_send_log_010_gate_guard;
