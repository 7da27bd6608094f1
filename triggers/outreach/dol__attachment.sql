-- outreach.dol attaches to a Company Target (SPEC §2): mismatched ids raise OG006.
CREATE OR REPLACE TRIGGER trg_dol_010_attachment
    BEFORE INSERT OR UPDATE ON outreach.dol
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_subhub_attachment();
ALTER TABLE outreach.dol ENABLE ALWAYS TRIGGER trg_dol_010_attachment;
