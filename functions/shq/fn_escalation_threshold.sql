-- shq.fn_escalation_threshold: how long a governed error stays PARKED before it reaches an
-- escalation level (docs/reference/governance.md): the one home of the 24 h / 72 h / 7 days thresholds.
CREATE OR REPLACE FUNCTION shq.fn_escalation_threshold(p_level integer)
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
-- With a constant level it folds to a constant, so `parked_at <= now() - <threshold>`
-- can use the parked_at index.
AS $$
    SELECT CASE WHEN p_level OPERATOR(pg_catalog.=) 1 THEN interval '24 hours'
                WHEN p_level OPERATOR(pg_catalog.=) 2 THEN interval '72 hours'
                WHEN p_level OPERATOR(pg_catalog.=) 3 THEN interval '7 days'
           END;
$$;
COMMENT ON FUNCTION shq.fn_escalation_threshold(integer) IS
    'Time parked after which a PARKED error reaches escalation level 1 (24 hours), 2 (72 hours) or 3 (7 days); NULL for any other level (docs/reference/governance.md). Immutable, inlinable.';
GRANT EXECUTE ON FUNCTION shq.fn_escalation_threshold(integer) TO outreach_governor, outreach_reader;
