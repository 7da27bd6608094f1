-- shq._hub_gates: the promotion gate of every (company, hub) (docs/reference/hubs.md): DONE,
-- no blocking errors, prerequisites at PASS. fn_can_promote_to_hub, the blockers, fn_evaluate_hub_statuses
-- and (for a range) shq._hub_gate_candidates read this.
-- Filter on both outreach_id and company_unique_id for an index-only lookup of one company.
CREATE OR REPLACE VIEW shq._hub_gates AS
SELECT d.outreach_id,
       d.company_unique_id,
       hr.hub_id,
       hr.display_order,
       hr.prerequisite_hubs,
       r.hub_statuses[array_position(r.hub_ids, hr.hub_id)]          AS current_status,
       -- which DONE check belongs to which hub (docs/reference/hubs.md)
       CASE
           WHEN hr.hub_id = 'company-target'      THEN d.company_target_done
           WHEN hr.hub_id = 'dol-filings'         THEN d.dol_done
           WHEN hr.hub_id = 'people-intelligence' THEN d.filled_slots >= 1
           WHEN hr.hub_id = 'talent-flow'         THEN d.talent_flow_done
           WHEN hr.hub_id = 'blog-content'        THEN d.blog_done
           WHEN hr.hub_id = 'bit-engine'          THEN d.bit_done
           ELSE false
       END                                                           AS done,
       CASE
           WHEN hr.hub_id = 'company-target'      THEN 'outreach.company_target needs execution_status ''ready'' and email_method, confidence_score and imo_completed_at set'
           WHEN hr.hub_id = 'dol-filings'         THEN 'outreach.dol needs a row with ein set and filing_present'
           WHEN hr.hub_id = 'people-intelligence' THEN 'people.company_slot needs at least 1 filled slot'
           WHEN hr.hub_id = 'talent-flow'         THEN 'outreach.talent_flow needs a row with last_scan_at set'
           WHEN hr.hub_id = 'blog-content'        THEN 'outreach.blog needs a row'
           WHEN hr.hub_id = 'bit-engine'          THEN 'outreach.bit_scores needs a score with signal_count > 0'
           ELSE 'no DONE contract is defined for this hub'
       END                                                           AS done_rule,
       coalesce(be.blocking_errors, 0)                               AS blocking_errors,
       be.tables                                                     AS blocking_tables,
       coalesce(r.passed_hubs, '{}'::text[])                         AS passed_hubs,
       coalesce(hr.prerequisite_hubs, '{}'::text[]) <@ coalesce(r.passed_hubs, '{}'::text[]) AS prerequisites_passed
  FROM shq._done_states d
 CROSS JOIN outreach.hub_registry hr
  LEFT JOIN outreach._hub_rollup r ON r.company_unique_id = d.company_unique_id
  LEFT JOIN (SELECT x.outreach_id, x.hub_id, sum(x.blocking_errors) AS blocking_errors,
                    string_agg(x.table_name || ' (' || x.blocking_errors || ')', ', ' ORDER BY x.table_name) AS tables
               FROM shq._blocking_errors x
              WHERE x.hub_id IS NOT NULL
              GROUP BY x.outreach_id, x.hub_id) be
         ON be.outreach_id = d.outreach_id AND be.hub_id = hr.hub_id;
COMMENT ON VIEW shq._hub_gates IS
    'Internal: per spine company and hub: current status, DONE, blocking errors, prerequisites at PASS (docs/reference/hubs.md). can promote = done AND blocking_errors = 0 AND prerequisites_passed.';
GRANT SELECT ON shq._hub_gates TO outreach_governor;
