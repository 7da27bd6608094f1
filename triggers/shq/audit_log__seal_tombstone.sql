-- shq.audit_log: keep every deleted row in shq.audit_seal_tombstones so its seals stay verifiable after the sanctioned cascade (tamper evidence).
CREATE OR REPLACE TRIGGER trg_audit_log_900_seal_tombstone
    AFTER DELETE ON shq.audit_log
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_audit_tombstone('audit_id');
ALTER TABLE shq.audit_log ENABLE ALWAYS TRIGGER trg_audit_log_900_seal_tombstone;
