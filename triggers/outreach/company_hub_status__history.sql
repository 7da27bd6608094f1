-- outreach.company_hub_status: its state history, outreach.company_hub_status_history (ordinary ENABLE triggers: a session in
-- session_replication_role = replica writes none; db/1300_state_history.sql says why).
CREATE OR REPLACE TRIGGER trg_company_hub_status_800_history_insert
    AFTER INSERT ON outreach.company_hub_status
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_state_history('outreach.company_hub_status_history', 'company_unique_id,hub_id', 'status,status_reason');
CREATE OR REPLACE TRIGGER trg_company_hub_status_801_history_update
    AFTER UPDATE ON outreach.company_hub_status
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_state_history('outreach.company_hub_status_history', 'company_unique_id,hub_id', 'status,status_reason');
CREATE OR REPLACE TRIGGER trg_company_hub_status_802_history_delete
    AFTER DELETE ON outreach.company_hub_status
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_state_history('outreach.company_hub_status_history', 'company_unique_id,hub_id', 'status,status_reason');
