-- people.company_slot attaches to a Company Target (SPEC §2): mismatched ids raise OG006.
CREATE OR REPLACE TRIGGER trg_company_slot_010_attachment
    BEFORE INSERT OR UPDATE ON people.company_slot
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_subhub_attachment();
ALTER TABLE people.company_slot ENABLE ALWAYS TRIGGER trg_company_slot_010_attachment;
