-- outreach.override_audit_log: keep every deleted row in shq.audit_seal_tombstones so its seals stay verifiable after the sanctioned cascade (tamper evidence).
CREATE OR REPLACE TRIGGER trg_override_audit_log_900_seal_tombstone
    AFTER DELETE ON outreach.override_audit_log
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_audit_tombstone('audit_id');
ALTER TABLE outreach.override_audit_log ENABLE ALWAYS TRIGGER trg_override_audit_log_900_seal_tombstone;
