-- outreach.bit_signals is append-only (SPEC §0): UPDATE, DELETE, TRUNCATE raise OG004 for every role.
CREATE OR REPLACE TRIGGER trg_bit_signals_010_append_only
    BEFORE UPDATE OR DELETE ON outreach.bit_signals
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
CREATE OR REPLACE TRIGGER trg_bit_signals_011_append_only_truncate
    BEFORE TRUNCATE ON outreach.bit_signals
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
ALTER TABLE outreach.bit_signals ENABLE ALWAYS TRIGGER trg_bit_signals_010_append_only;
ALTER TABLE outreach.bit_signals ENABLE ALWAYS TRIGGER trg_bit_signals_011_append_only_truncate;
