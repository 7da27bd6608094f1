-- outreach.fn_company_eligibility_drift: every company whose maintained eligibility row differs
-- from the from-scratch computation (docs/maintained-eligibility.md); no row means no drift.
CREATE OR REPLACE FUNCTION outreach.fn_company_eligibility_drift(p_company_unique_ids text[] DEFAULT NULL)
RETURNS TABLE (company_unique_id text, maintained jsonb, from_scratch jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce(m.company_unique_id, s.company_unique_id),
           CASE WHEN m.company_unique_id IS NOT NULL THEN to_jsonb(m) END,
           CASE WHEN s.company_unique_id IS NOT NULL THEN to_jsonb(s) END
      FROM (SELECT e.* FROM outreach.company_eligibility e
             WHERE p_company_unique_ids IS NULL OR e.company_unique_id = ANY (p_company_unique_ids)) m
      FULL JOIN outreach.fn_company_eligibility_from_scratch(p_company_unique_ids) s
             ON s.company_unique_id = m.company_unique_id
     WHERE m IS DISTINCT FROM s
     ORDER BY 1;
$$;
COMMENT ON FUNCTION outreach.fn_company_eligibility_drift(text[]) IS
    'Every company (or every listed one) whose row in outreach.company_eligibility differs from outreach.fn_company_eligibility_from_scratch: the maintained and the from-scratch row as jsonb (NULL where one has no row). No row: no drift. outreach.fn_rebuild_company_eligibility repairs it.';
