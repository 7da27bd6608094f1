-- shq.vw_error_governance_summary: error state across every governed error table (docs/reference/governance.md).
-- One branch per registry row (tests/test_governance_registry.py fails when one is missing).
CREATE OR REPLACE VIEW shq.vw_error_governance_summary AS
SELECT e.table_name,
       e.disposition,
       pg_catalog.count(*) AS errors,
       pg_catalog.min(e.created_at) AS oldest,
       pg_catalog.max(e.escalation_level) AS max_escalation_level
  FROM (SELECT 'outreach.dol_errors'::pg_catalog.text AS table_name, d.disposition, d.created_at, d.escalation_level
          FROM outreach.dol_errors AS d
        UNION ALL
        SELECT 'outreach.company_target_errors'::pg_catalog.text, c.disposition, c.created_at, c.escalation_level
          FROM outreach.company_target_errors AS c
        UNION ALL
        SELECT 'people.people_errors'::pg_catalog.text, p.disposition, p.created_at, p.escalation_level
          FROM people.people_errors AS p
        UNION ALL
        SELECT 'company.url_discovery_failures'::pg_catalog.text, u.disposition, u.created_at, u.escalation_level
          FROM company.url_discovery_failures AS u
        UNION ALL
        SELECT 'public.shq_error_log'::pg_catalog.text, s.disposition, s.created_at, s.escalation_level
          FROM public.shq_error_log AS s) AS e
 GROUP BY e.table_name, e.disposition;
COMMENT ON VIEW shq.vw_error_governance_summary IS
    'Errors per governed table (schema-qualified) and disposition: count, oldest created_at, highest escalation_level (docs/reference/governance.md).';
GRANT SELECT ON shq.vw_error_governance_summary TO outreach_governor, outreach_reader, outreach_hub_writer;
