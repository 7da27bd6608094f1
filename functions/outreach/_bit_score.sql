-- outreach._bit_score: a BIT score from the sum of its signals' contributions in 1e-9 points
-- (docs/reference/bit.md): LEAST(100, round(sum, 2)); no signal (NULL) scores 0.
CREATE OR REPLACE FUNCTION outreach._bit_score(p_units numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
-- Also around an aggregate: sum() is its only use of p_units.
AS $$
    SELECT LEAST(100::pg_catalog.numeric, pg_catalog.round(outreach._bit_points(coalesce(p_units, 0::pg_catalog.numeric)), 2));
$$;
COMMENT ON FUNCTION outreach._bit_score(numeric) IS
    'Private: the BIT score of a sum of contributions in whole 1e-9 points: LEAST(100, round(points, 2)) of outreach._bit_points(units), 0 for NULL (docs/reference/bit.md). Inlinable.';
GRANT EXECUTE ON FUNCTION outreach._bit_score(numeric) TO outreach_hub_writer, outreach_governor;
