-- outreach.fn_score_tier: the BIT score tier of a score, the one home of the cut-offs (docs/reference/bit.md):
-- < 25 COLD, < 50 WARM, < 75 HOT, else BURNING; NULL (and NaN) -> NULL.
CREATE OR REPLACE FUNCTION outreach.fn_score_tier(p_score numeric)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
-- outreach.fn_refresh_bit_scores calls it for a million rows at the cost of the CASE itself.
AS $$
    SELECT CASE
               WHEN p_score IS NULL OR p_score OPERATOR(pg_catalog.=) 'NaN'::pg_catalog.numeric THEN NULL
               WHEN p_score OPERATOR(pg_catalog.<) 25 THEN 'COLD'
               WHEN p_score OPERATOR(pg_catalog.<) 50 THEN 'WARM'
               WHEN p_score OPERATOR(pg_catalog.<) 75 THEN 'HOT'
               ELSE 'BURNING'
           END;
$$;
COMMENT ON FUNCTION outreach.fn_score_tier(numeric) IS
    'BIT score tier: < 25 COLD, < 50 WARM, < 75 HOT, else BURNING; NULL or NaN -> NULL (docs/reference/bit.md). Immutable, inlinable.';
GRANT EXECUTE ON FUNCTION outreach.fn_score_tier(numeric)
    TO outreach_reader, outreach_hub_writer, outreach_governor, outreach_sender, outreach_override_admin;
