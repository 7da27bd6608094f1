-- outreach._bit_decay_factor: the one definition of BIT decay (docs/reference/bit.md): a signal's weight as of an
-- instant, 0.5 ^ (age / half-life), in double precision; inlined into every query that scores.
CREATE OR REPLACE FUNCTION outreach._bit_decay_factor(
    p_as_of_epoch double precision,
    p_occurred_epoch double precision,
    p_seconds_per_half_life double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
-- Not SECURITY DEFINER and each argument used once, so it inlines into the scoring
-- queries: no call per signal.
AS $$
    -- Ages in epoch seconds (the signal's occurred_epoch column; the as_of
    -- instant the same way). Past 64 half-lives the factor stays at 0.5 ^ 64,
    -- whose contribution rounds to 0 (and power() cannot underflow). A type
    -- without decay has 'Infinity' seconds per half-life: exactly 0.5 ^ 0 = 1.
    SELECT pg_catalog.power(0.5::pg_catalog.float8,
                            LEAST((p_as_of_epoch OPERATOR(pg_catalog.-) p_occurred_epoch)
                                      OPERATOR(pg_catalog./) p_seconds_per_half_life,
                                  64::pg_catalog.float8));
$$;
COMMENT ON FUNCTION outreach._bit_decay_factor(double precision, double precision, double precision) IS
    'Private: the BIT decay factor 0.5 ^ ((as_of - occurred) / seconds per half-life), capped at 64 half-lives, in double precision (docs/reference/bit.md). Inlinable.';
GRANT EXECUTE ON FUNCTION outreach._bit_decay_factor(double precision, double precision, double precision)
    TO outreach_hub_writer, outreach_governor;
