-- outreach.company_target: a move to opted_out or exhausted reaches CL as UNSUBSCRIBED or EXHAUSTED
-- (docs/consuming-events.md). The WHEN clause keeps every other update free of a call.
CREATE OR REPLACE TRIGGER trg_company_target_800_outbox
    AFTER UPDATE OF outreach_status ON outreach.company_target
    FOR EACH ROW
    WHEN (OLD.outreach_status OPERATOR(pg_catalog.<>) NEW.outreach_status
          AND NEW.outreach_status OPERATOR(pg_catalog.=) ANY (ARRAY['opted_out', 'exhausted']))
    EXECUTE FUNCTION outreach.tg_company_target__after_update_outbox();
