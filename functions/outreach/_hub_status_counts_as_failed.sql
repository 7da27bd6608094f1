-- outreach._hub_status_counts_as_failed: which hub statuses count as a hub failed in the hub counts
-- (docs/reference/hubs.md): a required hub at one of them makes the tier -1. With
-- outreach._hub_status_counts_as_passed, the one home of what a hub row counts as.
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining it into
-- the rollup's scan of every hub row); the body names nothing.
CREATE OR REPLACE FUNCTION outreach._hub_status_counts_as_failed(p_status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT p_status OPERATOR(pg_catalog.=) 'FAIL' OR p_status OPERATOR(pg_catalog.=) 'BLOCKED';
$$;
COMMENT ON FUNCTION outreach._hub_status_counts_as_failed(text) IS
    'Internal: true when a company_hub_status row at this status counts as its hub failed (FAIL or BLOCKED), the one definition outreach._hub_rollup counts by and the hub rows'' INSERT maintenance skips by (docs/reference/hubs.md). Inlinable.';
-- readers of the views built on outreach._hub_rollup run it (a function a view calls runs as the
-- querying role, inlined or not)
GRANT EXECUTE ON FUNCTION outreach._hub_status_counts_as_failed(text)
    TO outreach_reader, outreach_governor, outreach_hub_writer, outreach_sender;
