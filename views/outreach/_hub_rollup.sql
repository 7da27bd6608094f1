-- outreach._hub_rollup: company_hub_status aggregated once per company (docs/reference/hubs.md),
-- one pass, no join: is_required comes from hub_registry once per query (InitPlan).
CREATE OR REPLACE VIEW outreach._hub_rollup AS
SELECT chs.company_unique_id,
       -- what a row counts as: outreach._hub_status_counts_as_passed / _failed (inlined)
       count(*) FILTER (WHERE outreach._hub_status_counts_as_passed(chs.status))     AS passed,
       -- hub_id references hub_registry, so "not optional" is "required"; the
       -- optional list is the shorter one to test against
       count(*) FILTER (WHERE outreach._hub_status_counts_as_passed(chs.status)
                          AND chs.hub_id = ANY (ARRAY(SELECT hr.hub_id FROM outreach.hub_registry hr
                                                      WHERE NOT hr.is_required)))    AS optional_passed,
       count(*) FILTER (WHERE outreach._hub_status_counts_as_failed(chs.status)
                          AND chs.hub_id <> ALL (ARRAY(SELECT hr.hub_id FROM outreach.hub_registry hr
                                                       WHERE NOT hr.is_required)))   AS required_bad,
       array_agg(chs.hub_id) FILTER (WHERE outreach._hub_status_counts_as_passed(chs.status)) AS passed_hubs,
       -- every hub row's status, for the gates (shq._hub_gates): one pass over
       -- the table instead of a lookup per company and hub. Both arrays list
       -- the rows in the same order, so status k is hub k's. Views that do
       -- not read them do not compute them (unused subquery outputs are dropped).
       array_agg(chs.hub_id)                                                         AS hub_ids,
       array_agg(chs.status)                                                         AS hub_statuses
  FROM outreach.company_hub_status chs
 GROUP BY chs.company_unique_id;
COMMENT ON VIEW outreach._hub_rollup IS
    'Internal: per company with hub rows: hubs at PASS, optional hubs at PASS (required at PASS = passed - optional_passed), required hubs at FAIL/BLOCKED, the hub_ids at PASS, and every hub row as hub_ids[k] at hub_statuses[k] (docs/reference/hubs.md).';
