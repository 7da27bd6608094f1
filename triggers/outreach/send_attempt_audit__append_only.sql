-- outreach.send_attempt_audit is append-only (SPEC §0): UPDATE, DELETE, TRUNCATE raise OG004 for every role.
CREATE OR REPLACE TRIGGER trg_send_attempt_audit_010_append_only
    BEFORE UPDATE OR DELETE ON outreach.send_attempt_audit
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
CREATE OR REPLACE TRIGGER trg_send_attempt_audit_011_append_only_truncate
    BEFORE TRUNCATE ON outreach.send_attempt_audit
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
ALTER TABLE outreach.send_attempt_audit ENABLE ALWAYS TRIGGER trg_send_attempt_audit_010_append_only;
ALTER TABLE outreach.send_attempt_audit ENABLE ALWAYS TRIGGER trg_send_attempt_audit_011_append_only_truncate;
