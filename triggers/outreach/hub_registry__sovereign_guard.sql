-- outreach.hub_registry is sovereign (SPEC §13): writes outside its sanctioned function raise OG005.
CREATE OR REPLACE TRIGGER trg_hub_registry_010_sovereign_guard
    BEFORE INSERT OR UPDATE OR DELETE ON outreach.hub_registry
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_sovereign_guard();
CREATE OR REPLACE TRIGGER trg_hub_registry_011_sovereign_guard_truncate
    BEFORE TRUNCATE ON outreach.hub_registry
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_sovereign_guard();
ALTER TABLE outreach.hub_registry ENABLE ALWAYS TRIGGER trg_hub_registry_010_sovereign_guard;
ALTER TABLE outreach.hub_registry ENABLE ALWAYS TRIGGER trg_hub_registry_011_sovereign_guard_truncate;
