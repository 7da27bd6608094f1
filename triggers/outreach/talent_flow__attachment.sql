-- outreach.talent_flow attaches to a Company Target (SPEC §2): mismatched ids raise OG006.
CREATE OR REPLACE TRIGGER trg_talent_flow_010_attachment
    BEFORE INSERT OR UPDATE ON outreach.talent_flow
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_subhub_attachment();
ALTER TABLE outreach.talent_flow ENABLE ALWAYS TRIGGER trg_talent_flow_010_attachment;
