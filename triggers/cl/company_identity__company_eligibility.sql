-- cl.company_identity: every statement that updates or deletes it rebuilds the maintained eligibility rows of the
-- companies it touched, in the same transaction (outreach.company_eligibility; docs/maintained-eligibility.md).
-- No INSERT trigger: a company new to CL has no spine row (the spine's foreign key to CL is not deferrable), so
-- it has no maintained row; its row is made when the spine row is (migration 1411 drops the old trigger).
CREATE OR REPLACE TRIGGER trg_company_identity_500_eligibility_update
    AFTER UPDATE ON cl.company_identity
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_company_eligibility__after_update();
CREATE OR REPLACE TRIGGER trg_company_identity_500_eligibility_delete
    AFTER DELETE ON cl.company_identity
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_company_eligibility__after_delete();
