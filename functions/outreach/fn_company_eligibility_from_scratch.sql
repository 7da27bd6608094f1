-- outreach.fn_company_eligibility_from_scratch: the rows outreach.company_eligibility must hold,
-- computed from the source tables, for every spine company or the listed ones (docs/maintained-eligibility.md).
CREATE OR REPLACE FUNCTION outreach.fn_company_eligibility_from_scratch(p_company_unique_ids text[] DEFAULT NULL)
RETURNS SETOF outreach.company_eligibility
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
-- planned once per session: planning the from-scratch joins costs more than
-- running them for a few companies (each is a handful of index probes)
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    IF p_company_unique_ids IS NULL THEN
        -- every company: the view's joins, each input read once
        RETURN QUERY SELECT s.* FROM outreach._company_eligibility_from_scratch s;
    ELSE
        -- the listed companies: one lookup each. The equality reaches every
        -- input of the view (its GROUP BYs included); OFFSET 0 keeps the
        -- subquery from being flattened, which would lose that.
        RETURN QUERY
            SELECT s.*
              FROM (SELECT DISTINCT x.id FROM unnest(p_company_unique_ids) AS x(id) WHERE x.id IS NOT NULL) u
             CROSS JOIN LATERAL (SELECT v.* FROM outreach._company_eligibility_from_scratch v
                                  WHERE v.company_unique_id = u.id OFFSET 0) s;
    END IF;
END
$$;
COMMENT ON FUNCTION outreach.fn_company_eligibility_from_scratch(text[]) IS
    'The rows outreach.company_eligibility must hold, computed from the source tables (CL, Company Target, hub statuses, people, BIT scores): every spine company (NULL) or the listed ones (unknown ids give no row). The reference the maintained row is checked against (outreach.fn_company_eligibility_drift).';
