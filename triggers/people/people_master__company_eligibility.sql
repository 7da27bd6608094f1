-- people.people_master: every statement that writes it rebuilds the maintained eligibility rows of the companies
-- it touched, in the same transaction (outreach.company_eligibility; docs/maintained-eligibility.md).
CREATE OR REPLACE TRIGGER trg_people_master_500_eligibility_insert
    AFTER INSERT ON people.people_master
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_company_eligibility__after_write();
CREATE OR REPLACE TRIGGER trg_people_master_500_eligibility_update
    AFTER UPDATE ON people.people_master
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_company_eligibility__after_write();
CREATE OR REPLACE TRIGGER trg_people_master_500_eligibility_delete
    AFTER DELETE ON people.people_master
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_company_eligibility__after_write();
CREATE OR REPLACE TRIGGER trg_people_master_500_eligibility_truncate
    AFTER TRUNCATE ON people.people_master
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_company_eligibility__after_write();
