-- outreach._hub_rollup: company_hub_status aggregated once per company (SPEC §3),
-- one pass, no join: is_required comes from hub_registry once per query (InitPlan).
CREATE OR REPLACE VIEW outreach._hub_rollup AS
SELECT chs.company_unique_id,
       count(*) FILTER (WHERE chs.status = 'PASS')                                   AS passed,
       -- hub_id references hub_registry, so "not optional" is "required"; the
       -- optional list is the shorter one to test against
       count(*) FILTER (WHERE chs.status = 'PASS'
                          AND chs.hub_id = ANY (ARRAY(SELECT hr.hub_id FROM outreach.hub_registry hr
                                                      WHERE NOT hr.is_required)))    AS optional_passed,
       count(*) FILTER (WHERE chs.status IN ('FAIL', 'BLOCKED')
                          AND chs.hub_id <> ALL (ARRAY(SELECT hr.hub_id FROM outreach.hub_registry hr
                                                       WHERE NOT hr.is_required)))   AS required_bad,
       array_agg(chs.hub_id) FILTER (WHERE chs.status = 'PASS')                      AS passed_hubs
  FROM outreach.company_hub_status chs
 GROUP BY chs.company_unique_id;
COMMENT ON VIEW outreach._hub_rollup IS
    'Internal: per company with hub rows: hubs at PASS, optional hubs at PASS (required at PASS = passed - optional_passed), required hubs at FAIL/BLOCKED, the hub_ids at PASS (SPEC §3).';
