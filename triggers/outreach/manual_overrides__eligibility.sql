-- outreach.manual_overrides: every change of a company's overrides reaches its maintained eligibility row
-- in the same transaction (docs/maintained-eligibility.md). Named like the other maintenance triggers
-- (trg_<table>_500_eligibility_<event>), which the benchmarks switch off to price the maintenance.
CREATE OR REPLACE TRIGGER trg_manual_overrides_500_eligibility_insert
    AFTER INSERT ON outreach.manual_overrides
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_manual_overrides__after_write_eligibility();
CREATE OR REPLACE TRIGGER trg_manual_overrides_500_eligibility_update
    AFTER UPDATE ON outreach.manual_overrides
    REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_manual_overrides__after_write_eligibility();
CREATE OR REPLACE TRIGGER trg_manual_overrides_500_eligibility_delete
    AFTER DELETE ON outreach.manual_overrides
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_manual_overrides__after_write_eligibility();
