-- cl.company_identity: a CL eligibility change that moves a company's effective tier reaches CL as
-- TIER_CHANGED (docs/consuming-events.md).
CREATE OR REPLACE TRIGGER trg_company_identity_800_outbox
    AFTER UPDATE ON cl.company_identity
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_company_identity__after_update_outbox();
