-- people.people_master attaches to a Company Target (SPEC §2): mismatched ids raise OG006.
CREATE OR REPLACE TRIGGER trg_people_master_010_attachment
    BEFORE INSERT OR UPDATE ON people.people_master
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_subhub_attachment();
ALTER TABLE people.people_master ENABLE ALWAYS TRIGGER trg_people_master_010_attachment;
