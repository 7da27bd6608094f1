-- outreach.vw_sovereign_completion: per spine company, how far its required
-- hubs are (docs/reference/hubs.md). An authoritative view.
CREATE OR REPLACE VIEW outreach.vw_sovereign_completion AS
SELECT o.company_unique_id,
       o.outreach_id,
       t.required_total::integer                                            AS required_total,
       coalesce(r.passed - r.optional_passed, 0)::integer                  AS required_passed,
       coalesce(r.optional_passed, 0)::integer                              AS optional_passed,
       coalesce(r.required_bad, 0) > 0                                      AS has_failed_hub,
       ARRAY(SELECT h.hub_id
               FROM unnest(t.required_hubs) WITH ORDINALITY AS h (hub_id, n)
              WHERE h.hub_id <> ALL (coalesce(r.passed_hubs, '{}'))
              ORDER BY h.n)                                                 AS missing_hubs,
       CASE WHEN coalesce(r.required_bad, 0) > 0                     THEN 'BLOCKED'
            WHEN coalesce(r.passed - r.optional_passed, 0) >= t.required_total THEN 'COMPLETE'
            ELSE 'IN_PROGRESS'
       END                                                                  AS completion_status
  FROM outreach.outreach o
 CROSS JOIN outreach._hub_totals t
  LEFT JOIN outreach._hub_rollup r ON r.company_unique_id = o.company_unique_id;
COMMENT ON VIEW outreach.vw_sovereign_completion IS
    'Authoritative: one row per spine company: required_total/passed, optional_passed, has_failed_hub (a required hub FAIL/BLOCKED), missing_hubs (required hubs not at PASS, display order), completion_status COMPLETE | IN_PROGRESS | BLOCKED (docs/reference/hubs.md).';
GRANT SELECT ON outreach.vw_sovereign_completion TO outreach_reader, outreach_governor, outreach_hub_writer, outreach_sender;
