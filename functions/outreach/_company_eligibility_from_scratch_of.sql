-- outreach._company_eligibility_from_scratch_of: private; the from-scratch eligibility rows of the listed
-- companies, or, for a NULL list, of the range p_from <= company_unique_id < p_to (NULL bounds open).
CREATE OR REPLACE FUNCTION outreach._company_eligibility_from_scratch_of(p_company_unique_ids text[], p_from text, p_to text)
RETURNS SETOF outreach.company_eligibility
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_company_unique_ids IS NOT NULL THEN
        -- one lookup each
        RETURN QUERY SELECT s.* FROM outreach.fn_company_eligibility_from_scratch(p_company_unique_ids) s;
    ELSE
        -- the view's joins, each input read once, restricted to the range
        RETURN QUERY
            SELECT s.* FROM outreach._company_eligibility_from_scratch s
             WHERE (p_from IS NULL OR s.company_unique_id >= p_from)
               AND (p_to IS NULL OR s.company_unique_id < p_to);
    END IF;
END
$$;
COMMENT ON FUNCTION outreach._company_eligibility_from_scratch_of(text[], text, text) IS
    'Internal: outreach.fn_company_eligibility_from_scratch of the listed companies, or, for a NULL list, the from-scratch rows of p_from <= company_unique_id < p_to (NULL bounds open). The source of outreach._upsert_company_eligibility.';
