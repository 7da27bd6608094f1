-- outreach._check_company_range: the by-range bulk functions' first check: a half-open range
-- [p_from, p_to) of company_unique_id (NULL bounds open) with no blank bound and not empty (22023).
CREATE OR REPLACE FUNCTION outreach._check_company_range(p_from text, p_to text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (p_from IS NOT NULL AND shq.fn_is_blank(p_from)) OR (p_to IS NOT NULL AND shq.fn_is_blank(p_to)) THEN
        RAISE EXCEPTION 'a bound of the company range is blank'
            USING ERRCODE = '22023',
                  HINT = 'Pass company_unique_id values as bounds, or NULL for an open end.';
    END IF;
    IF p_from >= p_to THEN
        RAISE EXCEPTION 'the company range [%, %) is empty', p_from, p_to
            USING ERRCODE = '22023',
                  HINT = 'p_from is inclusive and p_to exclusive: p_from must sort before p_to.';
    END IF;
END
$$;
COMMENT ON FUNCTION outreach._check_company_range(text, text) IS
    'Private: 22023 for a blank bound or an empty range [p_from, p_to) of company_unique_id, for fn_evaluate_hub_statuses_range and fn_rebuild_company_eligibility_range.';
