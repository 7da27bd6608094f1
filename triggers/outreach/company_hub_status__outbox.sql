-- outreach.company_hub_status: hub statuses that move a company's effective tier reach CL as TIER_CHANGED
-- (docs/consuming-events.md). Two statement-level triggers: a transition table serves one event only.
CREATE OR REPLACE TRIGGER trg_company_hub_status_800_outbox_insert
    AFTER INSERT ON outreach.company_hub_status
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_company_hub_status__after_write_outbox();
CREATE OR REPLACE TRIGGER trg_company_hub_status_800_outbox_update
    AFTER UPDATE ON outreach.company_hub_status
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_company_hub_status__after_write_outbox();
