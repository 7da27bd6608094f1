-- outreach.fn_compute_bit_score: the BIT score of one company as of an instant (docs/reference/bit.md),
-- computed from its signals; pure: reads only, writes nothing.
CREATE OR REPLACE FUNCTION outreach.fn_compute_bit_score(
    p_outreach_id uuid,
    p_as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE(score numeric, score_tier text, signal_count integer, last_signal_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_as_of IS NULL OR NOT isfinite(p_as_of) THEN
        RAISE EXCEPTION 'as_of must be a finite timestamp, got %', coalesce(p_as_of::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Pass the instant to score at (the default is now()).';
    END IF;
    -- Always exactly one row: a company with no signal by as_of (or an
    -- unknown/NULL id) scores 0, COLD, 0 signals, last_signal_at NULL.
    -- The totals are those fn_refresh_bit_scores scores a list of companies
    -- from (outreach._bit_totals), so both agree exactly.
    RETURN QUERY
    SELECT x.score, outreach.fn_score_tier(x.score), coalesce(a.signal_count, 0), a.last_signal_at
      FROM (SELECT 1) AS one
      LEFT JOIN outreach._bit_totals(ARRAY[p_outreach_id], p_as_of) a ON true
     CROSS JOIN LATERAL (SELECT outreach._bit_score(a.units) AS score) x;
END
$$;
COMMENT ON FUNCTION outreach.fn_compute_bit_score(uuid, timestamptz) IS
    'BIT score of one company as of p_as_of: LEAST(100, round(sum(points * 0.5 ^ (age_days / half_life_days)), 2)) over its signals with occurred_at <= as_of, its tier, signal count and latest signal. Pure (writes nothing); always one row (0, COLD, 0, NULL without signals or for an unknown id); 22023 for a NULL or infinite as_of (docs/reference/bit.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_compute_bit_score(uuid, timestamptz) TO outreach_hub_writer, outreach_governor;
