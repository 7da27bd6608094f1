-- outreach.override_audit_log: a kill-switch change that moves a company's effective tier reaches CL as
-- TIER_CHANGED (docs/consuming-events.md).
CREATE OR REPLACE TRIGGER trg_override_audit_log_800_outbox
    AFTER INSERT ON outreach.override_audit_log
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_override_audit_log__after_insert_outbox();
