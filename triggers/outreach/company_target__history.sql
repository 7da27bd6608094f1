-- outreach.company_target: its state history, outreach.company_target_status_history (ordinary ENABLE triggers: a session in
-- session_replication_role = replica writes none; db/1300_state_history.sql says why).
CREATE OR REPLACE TRIGGER trg_company_target_800_history_insert
    AFTER INSERT ON outreach.company_target
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_state_history('outreach.company_target_status_history', 'target_id', 'outreach_status,status_reason', 'company_unique_id');
CREATE OR REPLACE TRIGGER trg_company_target_801_history_update
    AFTER UPDATE ON outreach.company_target
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_state_history('outreach.company_target_status_history', 'target_id', 'outreach_status,status_reason', 'company_unique_id');
CREATE OR REPLACE TRIGGER trg_company_target_802_history_delete
    AFTER DELETE ON outreach.company_target
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_state_history('outreach.company_target_status_history', 'target_id', 'outreach_status,status_reason', 'company_unique_id');
