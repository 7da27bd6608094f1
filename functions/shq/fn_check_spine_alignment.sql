-- shq.fn_check_spine_alignment: the alignment rule (docs/reference/identity.md).
CREATE OR REPLACE FUNCTION shq.fn_check_spine_alignment()
RETURNS TABLE (spine_count bigint, cl_bound_count bigint, is_aligned boolean,
               spine_without_cl bigint, cl_without_spine bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    WITH s AS (SELECT count(*) AS n FROM outreach.outreach),
         c AS (SELECT count(*) AS n FROM cl.company_identity WHERE outreach_id IS NOT NULL),
         sw AS (SELECT count(*) AS n
                  FROM outreach.outreach o
                 WHERE NOT EXISTS (SELECT 1 FROM cl.company_identity ci
                                    WHERE ci.outreach_id = o.outreach_id
                                      AND ci.company_unique_id = o.company_unique_id)),
         cw AS (SELECT count(*) AS n
                  FROM cl.company_identity ci
                 WHERE ci.outreach_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM outreach.outreach o WHERE o.outreach_id = ci.outreach_id))
    SELECT s.n, c.n, (s.n = c.n AND sw.n = 0 AND cw.n = 0), sw.n, cw.n
      FROM s, c, sw, cw;
$$;
COMMENT ON FUNCTION shq.fn_check_spine_alignment() IS
    'Alignment rule: spine rows = CL rows with a bound outreach_id, and each side matches the other (docs/reference/identity.md).';
GRANT EXECUTE ON FUNCTION shq.fn_check_spine_alignment() TO outreach_governor;
