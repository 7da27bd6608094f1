-- outreach.bit_scores: a stored score keeps its company (OG003), which the refresh's copy into the maintained
-- eligibility row relies on (docs/maintained-eligibility.md). Fires only when an UPDATE sets a key column.
-- ENABLE like that copy (trg_bit_scores_500_eligibility_update): under session_replication_role = replica
-- neither fires, and the eligibility rows are rebuilt after such a load.
CREATE OR REPLACE TRIGGER trg_bit_scores_012_keys_fixed
    BEFORE UPDATE OF outreach_id, company_unique_id ON outreach.bit_scores
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_bit_scores__before_update_keys();
