-- cl.company_identity: blank ids (OG001), write-once ids (OG003), lifecycle authority (OG005).
CREATE OR REPLACE TRIGGER trg_company_identity_010_before_write
    BEFORE INSERT OR UPDATE ON cl.company_identity
    FOR EACH ROW EXECUTE FUNCTION cl.tg_company_identity__before_write();
ALTER TABLE cl.company_identity ENABLE ALWAYS TRIGGER trg_company_identity_010_before_write;
