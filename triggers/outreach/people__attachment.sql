-- outreach.people attaches to a Company Target (SPEC §2): mismatched ids raise OG006.
CREATE OR REPLACE TRIGGER trg_people_010_attachment
    BEFORE INSERT OR UPDATE ON outreach.people
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_subhub_attachment();
ALTER TABLE outreach.people ENABLE ALWAYS TRIGGER trg_people_010_attachment;
