-- outreach.company_hub_status is sovereign (SPEC §13): writes outside its sanctioned function raise OG005.
CREATE OR REPLACE TRIGGER trg_company_hub_status_010_sovereign_guard
    BEFORE INSERT OR UPDATE OR DELETE ON outreach.company_hub_status
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_sovereign_guard();
CREATE OR REPLACE TRIGGER trg_company_hub_status_011_sovereign_guard_truncate
    BEFORE TRUNCATE ON outreach.company_hub_status
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_sovereign_guard();
ALTER TABLE outreach.company_hub_status ENABLE ALWAYS TRIGGER trg_company_hub_status_010_sovereign_guard;
ALTER TABLE outreach.company_hub_status ENABLE ALWAYS TRIGGER trg_company_hub_status_011_sovereign_guard_truncate;
