-- outreach.fn_compute_bit_score: the BIT score of one company as of an instant (SPEC §4),
-- computed from its signals; pure: reads only, writes nothing.
CREATE OR REPLACE FUNCTION outreach.fn_compute_bit_score(
    p_outreach_id uuid,
    p_as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE(score numeric, score_tier text, signal_count integer, last_signal_at timestamptz)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_as_of_epoch double precision;
BEGIN
    IF p_as_of IS NULL OR NOT isfinite(p_as_of) THEN
        RAISE EXCEPTION 'as_of must be a finite timestamp, got %', coalesce(p_as_of::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Pass the instant to score at (the default is now()).';
    END IF;
    v_as_of_epoch := date_part('epoch', p_as_of);
    -- Always exactly one row: a company with no signal by as_of (or an
    -- unknown/NULL id) scores 0, COLD, 0 signals, last_signal_at NULL.
    -- The arithmetic is fn_refresh_bit_scores's (the same inlined functions),
    -- so both agree exactly.
    RETURN QUERY
    SELECT a.score, outreach.fn_score_tier(a.score), a.signal_count, a.last_signal_at
      FROM (SELECT outreach._bit_score(sum(outreach._bit_units(s.points_nano, outreach._bit_decay_factor(
                       v_as_of_epoch, s.occurred_epoch, outreach._bit_seconds_per_half_life(t.half_life_days)))))
                       AS score,
                   count(*)::integer AS signal_count,
                   max(s.occurred_at) AS last_signal_at
              FROM outreach.bit_signals s
              JOIN outreach.bit_signal_types t ON t.signal_type = s.signal_type
             WHERE s.outreach_id = p_outreach_id
               AND s.occurred_at <= p_as_of) a;
END
$$;
COMMENT ON FUNCTION outreach.fn_compute_bit_score(uuid, timestamptz) IS
    'BIT score of one company as of p_as_of: LEAST(100, round(sum(points * 0.5 ^ (age_days / half_life_days)), 2)) over its signals with occurred_at <= as_of, its tier, signal count and latest signal. Pure (writes nothing); always one row (0, COLD, 0, NULL without signals or for an unknown id); 22023 for a NULL or infinite as_of (SPEC §4).';
GRANT EXECUTE ON FUNCTION outreach.fn_compute_bit_score(uuid, timestamptz) TO outreach_hub_writer, outreach_governor;
