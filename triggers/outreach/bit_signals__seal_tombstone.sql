-- outreach.bit_signals: keep every deleted row in shq.audit_seal_tombstones so its seals stay verifiable after the sanctioned cascade (tamper evidence).
CREATE OR REPLACE TRIGGER trg_bit_signals_900_seal_tombstone
    AFTER DELETE ON outreach.bit_signals
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_audit_tombstone('signal_id');
ALTER TABLE outreach.bit_signals ENABLE ALWAYS TRIGGER trg_bit_signals_900_seal_tombstone;
