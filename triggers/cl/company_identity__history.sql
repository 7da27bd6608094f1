-- cl.company_identity: its state history, cl.company_identity_history (ordinary ENABLE triggers: a session in
-- session_replication_role = replica writes none; db/1300_state_history.sql says why).
CREATE OR REPLACE TRIGGER trg_company_identity_800_history_insert
    AFTER INSERT ON cl.company_identity
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_state_history('cl.company_identity_history', 'company_unique_id', 'eligibility_status,outreach_id');
CREATE OR REPLACE TRIGGER trg_company_identity_801_history_update
    AFTER UPDATE ON cl.company_identity
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_state_history('cl.company_identity_history', 'company_unique_id', 'eligibility_status,outreach_id');
