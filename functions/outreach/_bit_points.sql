-- outreach._bit_points: whole 1e-9 points (the unit BIT contributions are summed in)
-- back to points; the inverse of bit_signals.points_nano.
CREATE OR REPLACE FUNCTION outreach._bit_points(p_units numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
AS $$
    SELECT p_units OPERATOR(pg_catalog.*) 0.000000001;
$$;
COMMENT ON FUNCTION outreach._bit_points(numeric) IS
    'Private: a BIT amount in whole 1e-9 points as points (units * 1e-9), the inverse of bit_signals.points_nano (docs/reference/bit.md). Inlinable.';
GRANT EXECUTE ON FUNCTION outreach._bit_points(numeric) TO outreach_hub_writer, outreach_governor;
