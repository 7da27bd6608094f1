-- outreach.bit_scores: a stored score keeps its company (OG003); the eligibility copy of the
-- refresh relies on it (docs/maintained-eligibility.md). Fires only when an UPDATE sets a key column.
CREATE OR REPLACE TRIGGER trg_bit_scores_012_keys_fixed
    BEFORE UPDATE OF outreach_id, company_unique_id ON outreach.bit_scores
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_bit_scores__before_update_keys();
ALTER TABLE outreach.bit_scores ENABLE ALWAYS TRIGGER trg_bit_scores_012_keys_fixed;
