-- outreach._bit_seconds_per_half_life: a signal type's half-life in seconds, the divisor of the
-- decay (docs/reference/bit.md): 86400 * half_life_days, 'Infinity' for a type that does not decay (NULL).
CREATE OR REPLACE FUNCTION outreach._bit_seconds_per_half_life(p_half_life_days numeric)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
-- With a constant argument the planner folds it to a constant.
AS $$
    SELECT coalesce((86400 OPERATOR(pg_catalog.*) p_half_life_days)::pg_catalog.float8,
                    'Infinity'::pg_catalog.float8);
$$;
COMMENT ON FUNCTION outreach._bit_seconds_per_half_life(numeric) IS
    'Private: seconds per half-life of a BIT signal type, 86400 * half_life_days as double precision, ''Infinity'' (no decay) for NULL (docs/reference/bit.md). Inlinable.';
GRANT EXECUTE ON FUNCTION outreach._bit_seconds_per_half_life(numeric) TO outreach_hub_writer, outreach_governor;
