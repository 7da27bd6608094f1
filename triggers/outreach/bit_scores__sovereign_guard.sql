-- outreach.bit_scores is sovereign (SPEC §13): writes outside its sanctioned function raise OG005.
CREATE OR REPLACE TRIGGER trg_bit_scores_010_sovereign_guard
    BEFORE INSERT OR UPDATE OR DELETE ON outreach.bit_scores
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_sovereign_guard();
CREATE OR REPLACE TRIGGER trg_bit_scores_011_sovereign_guard_truncate
    BEFORE TRUNCATE ON outreach.bit_scores
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_sovereign_guard();
ALTER TABLE outreach.bit_scores ENABLE ALWAYS TRIGGER trg_bit_scores_010_sovereign_guard;
ALTER TABLE outreach.bit_scores ENABLE ALWAYS TRIGGER trg_bit_scores_011_sovereign_guard_truncate;
