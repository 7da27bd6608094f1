-- shq.fn_is_blocking: does a governed error in this disposition block its hub's promotion
-- (docs/reference/governance.md)? RETRY and PARKED do; the one definition the blocking-error views read.
CREATE OR REPLACE FUNCTION shq.fn_is_blocking(p_disposition shq.error_disposition)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
-- Inlined, it is the very predicate of the tables' partial blocking indexes (created with
-- `WHERE disposition IN ('RETRY', 'PARKED')`), so a query filtered by it can use them.
AS $$
    SELECT p_disposition OPERATOR(pg_catalog.=) ANY ('{RETRY,PARKED}'::shq.error_disposition[]);
$$;
COMMENT ON FUNCTION shq.fn_is_blocking(shq.error_disposition) IS
    'True for the dispositions that block promotion, RETRY and PARKED (docs/reference/governance.md). Immutable, inlinable.';
GRANT EXECUTE ON FUNCTION shq.fn_is_blocking(shq.error_disposition)
    TO outreach_governor, outreach_reader, outreach_hub_writer;
