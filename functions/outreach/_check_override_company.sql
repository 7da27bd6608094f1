-- outreach._check_override_company: the kill switch acts only on companies CL knows (docs/reference/gate.md);
-- OG002 otherwise. Shared by set_marketing_override and remove_marketing_override.
CREATE OR REPLACE FUNCTION outreach._check_override_company(p_company_unique_id text)
RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM 1 FROM cl.company_identity ci WHERE ci.company_unique_id = p_company_unique_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'company % is not in cl.company_identity', p_company_unique_id
            USING ERRCODE = 'OG002', HINT = 'Overrides apply to companies CL knows; check the id.';
    END IF;
END
$$;
COMMENT ON FUNCTION outreach._check_override_company(text) IS
    'Private: OG002 when the company is not in cl.company_identity, for the kill switch''s functions (docs/reference/gate.md).';
