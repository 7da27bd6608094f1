-- outreach._bit_units: a signal's contribution to a BIT score in whole 1e-9 points (docs/reference/bit.md):
-- its points (points_nano) times its decay factor, rounded to an int8 so that sums are exact.
CREATE OR REPLACE FUNCTION outreach._bit_units(p_points_nano bigint, p_decay_factor double precision)
RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
-- Summed as integers, a score never depends on the order of the rows, and is exactly
-- the points when the factor is 1.
AS $$
    SELECT (p_points_nano::pg_catalog.float8 OPERATOR(pg_catalog.*) p_decay_factor)::pg_catalog.int8;
$$;
COMMENT ON FUNCTION outreach._bit_units(bigint, double precision) IS
    'Private: a BIT signal''s contribution in whole 1e-9 points, points_nano * decay factor rounded to bigint (docs/reference/bit.md). Inlinable.';
GRANT EXECUTE ON FUNCTION outreach._bit_units(bigint, double precision) TO outreach_hub_writer, outreach_governor;
