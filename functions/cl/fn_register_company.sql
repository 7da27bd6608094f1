-- cl.fn_register_company: CL's own upsert of a sovereign company (docs/reference/identity.md).
CREATE OR REPLACE FUNCTION cl.fn_register_company(
    p_company_unique_id text,
    p_company_name text,
    p_domain text,
    p_eligibility_status text DEFAULT 'ELIGIBLE',
    p_identity_status text DEFAULT 'VERIFIED')
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF shq.fn_is_blank(p_company_unique_id) THEN
        RAISE EXCEPTION 'company_unique_id must not be NULL or blank'
            USING ERRCODE = 'OG001', HINT = 'Pass the sovereign id CL minted.';
    END IF;
    IF p_eligibility_status IS NULL OR p_eligibility_status NOT IN ('ELIGIBLE', 'INELIGIBLE') THEN
        RAISE EXCEPTION 'invalid eligibility_status: %', coalesce(p_eligibility_status, 'NULL')
            USING ERRCODE = '22023', HINT = 'Use ELIGIBLE or INELIGIBLE.';
    END IF;
    IF p_identity_status IS NULL OR p_identity_status NOT IN ('VERIFIED', 'UNVERIFIED') THEN
        RAISE EXCEPTION 'invalid identity_status: %', coalesce(p_identity_status, 'NULL')
            USING ERRCODE = '22023', HINT = 'Use VERIFIED or UNVERIFIED.';
    END IF;

    -- Re-registering updates name, domain and statuses, never outreach_id.
    -- A new company is an INSERT alone: an INSERT ... ON CONFLICT DO UPDATE
    -- also fires the table's statement-level UPDATE triggers (the eligibility
    -- row's, the history's), for no row, on every registration.
    LOOP
        INSERT INTO cl.company_identity AS ci
               (company_unique_id, company_name, domain, eligibility_status, identity_status)
        VALUES (p_company_unique_id, p_company_name, p_domain, p_eligibility_status, p_identity_status)
        ON CONFLICT (company_unique_id) DO NOTHING;
        EXIT WHEN FOUND;
        UPDATE cl.company_identity ci
           SET company_name = p_company_name, domain = p_domain,
               eligibility_status = p_eligibility_status, identity_status = p_identity_status
         WHERE ci.company_unique_id = p_company_unique_id
           AND (ci.company_name, ci.domain, ci.eligibility_status, ci.identity_status)
               IS DISTINCT FROM (p_company_name, p_domain, p_eligibility_status, p_identity_status);
        EXIT WHEN FOUND;
        -- nothing to change, unless the row the INSERT met was deleted since: then insert again
        PERFORM 1 FROM cl.company_identity ci WHERE ci.company_unique_id = p_company_unique_id;
        EXIT WHEN FOUND;
    END LOOP;
    RETURN p_company_unique_id;
END
$$;
COMMENT ON FUNCTION cl.fn_register_company(text, text, text, text, text) IS
    'CL''s upsert of a sovereign company (stands in for the parent hub): re-registering updates name, domain and statuses, never outreach_id (docs/reference/identity.md).';
GRANT EXECUTE ON FUNCTION cl.fn_register_company(text, text, text, text, text) TO outreach_cl_authority;
