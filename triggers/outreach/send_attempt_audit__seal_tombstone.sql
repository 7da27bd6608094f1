-- outreach.send_attempt_audit: keep every deleted row in shq.audit_seal_tombstones so its seals stay verifiable after the sanctioned cascade (tamper evidence).
CREATE OR REPLACE TRIGGER trg_send_attempt_audit_900_seal_tombstone
    AFTER DELETE ON outreach.send_attempt_audit
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_audit_tombstone('audit_seq');
ALTER TABLE outreach.send_attempt_audit ENABLE ALWAYS TRIGGER trg_send_attempt_audit_900_seal_tombstone;
