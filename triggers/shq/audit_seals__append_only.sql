-- shq.audit_seals is append-only (tamper evidence): UPDATE, DELETE, TRUNCATE raise OG004 for every role.
CREATE OR REPLACE TRIGGER trg_audit_seals_010_append_only
    BEFORE UPDATE OR DELETE ON shq.audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
CREATE OR REPLACE TRIGGER trg_audit_seals_011_append_only_truncate
    BEFORE TRUNCATE ON shq.audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
ALTER TABLE shq.audit_seals ENABLE ALWAYS TRIGGER trg_audit_seals_010_append_only;
ALTER TABLE shq.audit_seals ENABLE ALWAYS TRIGGER trg_audit_seals_011_append_only_truncate;
