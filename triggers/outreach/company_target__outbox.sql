-- outreach.company_target: a move to opted_out or exhausted reaches CL as UNSUBSCRIBED or EXHAUSTED
-- (docs/consuming-events.md). The WHEN clause keeps every other update free of a trigger call; it calls
-- outreach._outbox_target_reported, whose call is cheaper to re-read per statement than the comparison.
CREATE OR REPLACE TRIGGER trg_company_target_800_outbox
    AFTER UPDATE OF outreach_status ON outreach.company_target
    FOR EACH ROW
    WHEN (outreach._outbox_target_reported(OLD.outreach_status, NEW.outreach_status))
    EXECUTE FUNCTION outreach.tg_company_target__after_update_outbox();
