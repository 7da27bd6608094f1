-- shq.audit_seal_tombstones is append-only (tamper evidence): UPDATE, DELETE, TRUNCATE raise OG004 for every role.
CREATE OR REPLACE TRIGGER trg_audit_seal_tombstones_010_append_only
    BEFORE UPDATE OR DELETE ON shq.audit_seal_tombstones
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
CREATE OR REPLACE TRIGGER trg_audit_seal_tombstones_011_append_only_truncate
    BEFORE TRUNCATE ON shq.audit_seal_tombstones
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
ALTER TABLE shq.audit_seal_tombstones ENABLE ALWAYS TRIGGER trg_audit_seal_tombstones_010_append_only;
ALTER TABLE shq.audit_seal_tombstones ENABLE ALWAYS TRIGGER trg_audit_seal_tombstones_011_append_only_truncate;
