-- shq.tool_violations: keep every deleted row in shq.audit_seal_tombstones so its seals stay verifiable after the sanctioned cascade (tamper evidence).
CREATE OR REPLACE TRIGGER trg_tool_violations_900_seal_tombstone
    AFTER DELETE ON shq.tool_violations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_audit_tombstone('violation_id');
ALTER TABLE shq.tool_violations ENABLE ALWAYS TRIGGER trg_tool_violations_900_seal_tombstone;
