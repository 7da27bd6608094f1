-- shq.fn_escalation_level_due: the escalation level a PARKED error has earned by p_as_of
-- (docs/reference/governance.md): 0, or the highest level whose shq.fn_escalation_threshold it has been parked for.
CREATE OR REPLACE FUNCTION shq.fn_escalation_level_due(p_parked_at timestamptz,
                                                       p_as_of timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
-- STABLE because timestamptz - interval depends on the session's time zone (days across
-- a DST change).
AS $$
    SELECT CASE WHEN p_parked_at OPERATOR(pg_catalog.<=) (p_as_of OPERATOR(pg_catalog.-) shq.fn_escalation_threshold(3)) THEN 3
                WHEN p_parked_at OPERATOR(pg_catalog.<=) (p_as_of OPERATOR(pg_catalog.-) shq.fn_escalation_threshold(2)) THEN 2
                WHEN p_parked_at OPERATOR(pg_catalog.<=) (p_as_of OPERATOR(pg_catalog.-) shq.fn_escalation_threshold(1)) THEN 1
                ELSE 0
           END;
$$;
COMMENT ON FUNCTION shq.fn_escalation_level_due(timestamptz, timestamptz) IS
    'The escalation level due to an error parked at p_parked_at, as of p_as_of (default now()): 3, 2 or 1 once parked for shq.fn_escalation_threshold of that level, else 0 (also for a NULL parked_at). What shq.fn_escalate_stale_parked_errors raises levels to, and what synthetic data should carry (docs/reference/governance.md). Inlinable.';
GRANT EXECUTE ON FUNCTION shq.fn_escalation_level_due(timestamptz, timestamptz) TO outreach_governor, outreach_reader;
