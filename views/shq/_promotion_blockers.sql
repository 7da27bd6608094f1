-- shq._promotion_blockers: every blocker of every (company, hub)
-- (docs/reference/hubs.md); a hub can be promoted iff it has no row here.
CREATE OR REPLACE VIEW shq._promotion_blockers AS
SELECT g.outreach_id,
       g.company_unique_id,
       g.hub_id,
       g.display_order,
       b.blocker_type,
       b.detail
  FROM shq._hub_gates g
 CROSS JOIN LATERAL (
        SELECT 'NOT_DONE'::text AS blocker_type,
               format('%s is not DONE: %s', g.hub_id, g.done_rule) AS detail
         WHERE NOT g.done
        UNION ALL
        -- every arm names its columns: a view whose later arms do not comes back
        -- from pg_dump with other names there, and `pyctl verify` sees drift
        SELECT 'BLOCKING_ERRORS'::text AS blocker_type,
               format('%s: %s blocking error(s) (RETRY/PARKED) in %s', g.hub_id, g.blocking_errors,
                      g.blocking_tables) AS detail
         WHERE g.blocking_errors > 0
        UNION ALL
        SELECT 'PREREQUISITE_NOT_PASSED'::text AS blocker_type,
               format('%s: prerequisite hub %s is not at PASS', g.hub_id, p.hub_id) AS detail
          FROM unnest(g.prerequisite_hubs) AS p (hub_id)
         WHERE p.hub_id <> ALL (g.passed_hubs)
       ) b;
COMMENT ON VIEW shq._promotion_blockers IS
    'Internal: one row per blocker (NOT_DONE, BLOCKING_ERRORS, PREREQUISITE_NOT_PASSED) per spine company and hub (docs/reference/hubs.md).';
GRANT SELECT ON shq._promotion_blockers TO outreach_governor;
