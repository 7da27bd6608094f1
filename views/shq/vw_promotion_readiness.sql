-- shq.vw_promotion_readiness: per spine company, every DONE state, blocking
-- errors, the number of promotion blockers and the tier (docs/reference/hubs.md).
CREATE OR REPLACE VIEW shq.vw_promotion_readiness AS
SELECT d.outreach_id,
       d.company_unique_id,
       d.company_target_done,
       d.dol_done,
       d.filled_slots >= 1                                   AS people_done,
       d.blog_done,
       d.talent_flow_done,
       d.bit_done,
       coalesce(be.blocking_errors, 0) > 0                   AS has_blocking_errors,
       coalesce(bl.blockers, 0)::integer                     AS blocker_count,
       e.computed_tier                                       AS readiness_tier
  FROM shq._done_states d
  JOIN outreach.vw_marketing_eligibility e
    ON e.outreach_id = d.outreach_id AND e.company_unique_id = d.company_unique_id
  LEFT JOIN (SELECT x.outreach_id, sum(x.blocking_errors) AS blocking_errors
               FROM shq._blocking_errors x
              GROUP BY x.outreach_id) be ON be.outreach_id = d.outreach_id
  LEFT JOIN (SELECT b.outreach_id, b.company_unique_id, count(*) AS blockers
               FROM shq._promotion_blockers b
              GROUP BY b.outreach_id, b.company_unique_id) bl
         ON bl.outreach_id = d.outreach_id AND bl.company_unique_id = d.company_unique_id;
COMMENT ON VIEW shq.vw_promotion_readiness IS
    'Per spine company: the six DONE states, has_blocking_errors (a RETRY/PARKED row in any governed error table), blocker_count (= rows of shq.fn_get_promotion_blockers) and readiness_tier (= computed_tier) (docs/reference/hubs.md).';
GRANT SELECT ON shq.vw_promotion_readiness TO outreach_governor, outreach_reader;
