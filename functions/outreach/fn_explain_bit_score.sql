-- outreach.fn_explain_bit_score: why a company has its BIT score (docs/reference/bit.md):
-- one row per counted signal with its base points, decay factor and contribution.
CREATE OR REPLACE FUNCTION outreach.fn_explain_bit_score(
    p_outreach_id uuid,
    p_as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE(signal_id bigint, signal_type text, occurred_at timestamptz, points numeric,
              half_life_days numeric, age_days numeric, decay_factor numeric, contribution numeric)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_as_of_epoch double precision;
BEGIN
    IF p_as_of IS NULL OR NOT isfinite(p_as_of) THEN
        RAISE EXCEPTION 'as_of must be a finite timestamp, got %', coalesce(p_as_of::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Pass the instant to explain the score at (the default is now()).';
    END IF;
    v_as_of_epoch := date_part('epoch', p_as_of);
    -- decay_factor and contribution are what the score sums (whole 1e-9
    -- points, the same inlined functions as fn_compute_bit_score and
    -- fn_refresh_bit_scores), so LEAST(100, round(sum(contribution), 2)) is
    -- their score at the same as_of.
    RETURN QUERY
    SELECT s.signal_id, s.signal_type, s.occurred_at, s.points, t.half_life_days,
           round(EXTRACT(epoch FROM p_as_of - s.occurred_at) / 86400, 6),
           d.factor::numeric,
           outreach._bit_points(outreach._bit_units(s.points_nano, d.factor))
      FROM outreach.bit_signals s
      JOIN outreach.bit_signal_types t ON t.signal_type = s.signal_type
     CROSS JOIN LATERAL (SELECT outreach._bit_decay_factor(v_as_of_epoch, s.occurred_epoch,
                                    outreach._bit_seconds_per_half_life(t.half_life_days)) AS factor) d
     WHERE s.outreach_id = p_outreach_id
       AND s.occurred_at <= p_as_of
     ORDER BY s.occurred_at, s.signal_id;
END
$$;
COMMENT ON FUNCTION outreach.fn_explain_bit_score(uuid, timestamptz) IS
    'Explains a BIT score: one row per signal with occurred_at <= p_as_of (oldest first): type, occurred_at, base points, half_life_days (NULL = no decay), age_days, decay_factor = 0.5 ^ (age_days / half_life_days), contribution = points * decay_factor; LEAST(100, round(sum(contribution), 2)) is the score. No rows for an unknown id; 22023 for a NULL or infinite as_of (docs/reference/bit.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_explain_bit_score(uuid, timestamptz) TO outreach_hub_writer, outreach_governor;
