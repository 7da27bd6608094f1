-- outreach.bit_scores: every statement that writes it keeps the maintained eligibility rows of the companies it
-- touched, in the same transaction (an UPDATE copies the new scores; outreach.company_eligibility).
CREATE OR REPLACE TRIGGER trg_bit_scores_500_eligibility_insert
    AFTER INSERT ON outreach.bit_scores
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_company_eligibility__after_write();
CREATE OR REPLACE TRIGGER trg_bit_scores_500_eligibility_update
    AFTER UPDATE ON outreach.bit_scores
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_bit_scores__after_update_eligibility();
CREATE OR REPLACE TRIGGER trg_bit_scores_500_eligibility_delete
    AFTER DELETE ON outreach.bit_scores
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_company_eligibility__after_write();
