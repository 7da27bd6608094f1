-- shq.fn_get_promotion_blockers: every blocker of every hub of one outreach_id
-- (docs/reference/hubs.md); a single UNKNOWN_OUTREACH_ID row for an id not in the spine.
CREATE OR REPLACE FUNCTION shq.fn_get_promotion_blockers(p_outreach_id uuid)
RETURNS TABLE (hub_id text, blocker_type text, detail text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT b.hub_id, b.blocker_type, b.detail
      FROM outreach.outreach o
     CROSS JOIN LATERAL (
            -- both ids, so every part of the gate is an index lookup; OFFSET 0
            -- keeps the subquery from being flattened, so the ids reach its GROUP BYs
            SELECT pb.hub_id, pb.blocker_type, pb.detail
              FROM shq._promotion_blockers pb
             WHERE pb.outreach_id = o.outreach_id AND pb.company_unique_id = o.company_unique_id OFFSET 0) b
     WHERE o.outreach_id = p_outreach_id
    UNION ALL
    SELECT NULL::text, 'UNKNOWN_OUTREACH_ID',
           format('outreach_id %s is not in the spine (outreach.outreach)', coalesce(p_outreach_id::text, 'NULL'))
     WHERE NOT EXISTS (SELECT 1 FROM outreach.outreach o WHERE o.outreach_id = p_outreach_id)
    ORDER BY 1 NULLS FIRST, 2, 3;
$$;
COMMENT ON FUNCTION shq.fn_get_promotion_blockers(uuid) IS
    'Every promotion blocker of the outreach_id, per hub: NOT_DONE, BLOCKING_ERRORS, PREREQUISITE_NOT_PASSED (one row per unmet prerequisite); UNKNOWN_OUTREACH_ID alone for an id not in the spine (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION shq.fn_get_promotion_blockers(uuid) TO outreach_governor;
