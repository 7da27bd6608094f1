-- outreach._hub_status_counts_as_passed: which hub statuses count as a hub passed in the hub counts
-- (docs/reference/hubs.md). With outreach._hub_status_counts_as_failed, the one home of what a hub row
-- counts as: outreach._hub_rollup counts by them, and a hub row that counts as neither (IN_PROGRESS,
-- the status a Company Target's rows start at) changes no count, so inserting it maintains nothing.
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining it into
-- the rollup's scan of every hub row); the body names nothing.
CREATE OR REPLACE FUNCTION outreach._hub_status_counts_as_passed(p_status text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT p_status OPERATOR(pg_catalog.=) 'PASS';
$$;
COMMENT ON FUNCTION outreach._hub_status_counts_as_passed(text) IS
    'Internal: true when a company_hub_status row at this status counts as its hub passed (PASS), the one definition outreach._hub_rollup counts by and the hub rows'' INSERT maintenance skips by (docs/reference/hubs.md). Inlinable.';
-- readers of the views built on outreach._hub_rollup run it (a function a view calls runs as the
-- querying role, inlined or not)
GRANT EXECUTE ON FUNCTION outreach._hub_status_counts_as_passed(text)
    TO outreach_reader, outreach_governor, outreach_hub_writer, outreach_sender;
