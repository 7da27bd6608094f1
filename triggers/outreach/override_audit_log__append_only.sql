-- outreach.override_audit_log is append-only (SPEC §0): UPDATE, DELETE, TRUNCATE raise OG004 for every role.
CREATE OR REPLACE TRIGGER trg_override_audit_log_010_append_only
    BEFORE UPDATE OR DELETE ON outreach.override_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
CREATE OR REPLACE TRIGGER trg_override_audit_log_011_append_only_truncate
    BEFORE TRUNCATE ON outreach.override_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
ALTER TABLE outreach.override_audit_log ENABLE ALWAYS TRIGGER trg_override_audit_log_010_append_only;
ALTER TABLE outreach.override_audit_log ENABLE ALWAYS TRIGGER trg_override_audit_log_011_append_only_truncate;
