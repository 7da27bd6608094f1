-- outreach.manual_overrides is sovereign (SPEC §13): writes outside its sanctioned function raise OG005.
CREATE OR REPLACE TRIGGER trg_manual_overrides_010_sovereign_guard
    BEFORE INSERT OR UPDATE OR DELETE ON outreach.manual_overrides
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_sovereign_guard();
CREATE OR REPLACE TRIGGER trg_manual_overrides_011_sovereign_guard_truncate
    BEFORE TRUNCATE ON outreach.manual_overrides
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_sovereign_guard();
ALTER TABLE outreach.manual_overrides ENABLE ALWAYS TRIGGER trg_manual_overrides_010_sovereign_guard;
ALTER TABLE outreach.manual_overrides ENABLE ALWAYS TRIGGER trg_manual_overrides_011_sovereign_guard_truncate;
