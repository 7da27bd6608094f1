-- outreach.fn_score_tier: the BIT score tier of a score (SPEC §4):
-- < 25 COLD, < 50 WARM, < 75 HOT, else BURNING; NULL (and NaN) -> NULL.
CREATE OR REPLACE FUNCTION outreach.fn_score_tier(p_score numeric)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- outreach.fn_refresh_bit_scores writes the same rule inline (a per-row
    -- call would cost more than the rest of the refresh); a test checks that
    -- both agree on every boundary.
    SELECT CASE
               WHEN p_score IS NULL OR p_score = 'NaN'::numeric THEN NULL
               WHEN p_score < 25 THEN 'COLD'
               WHEN p_score < 50 THEN 'WARM'
               WHEN p_score < 75 THEN 'HOT'
               ELSE 'BURNING'
           END;
$$;
COMMENT ON FUNCTION outreach.fn_score_tier(numeric) IS
    'BIT score tier: < 25 COLD, < 50 WARM, < 75 HOT, else BURNING; NULL or NaN -> NULL (SPEC §4). Immutable.';
GRANT EXECUTE ON FUNCTION outreach.fn_score_tier(numeric)
    TO outreach_reader, outreach_hub_writer, outreach_governor, outreach_sender, outreach_override_admin;
