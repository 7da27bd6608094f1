-- shq.vw_blocking_errors_by_outreach: outreach ids with blocking errors (RETRY or PARKED) per
-- governed table (docs/reference/governance.md). One branch per registry row, so a filter on outreach_id reaches
-- each table's blocking index.
CREATE OR REPLACE VIEW shq.vw_blocking_errors_by_outreach AS
SELECT e.outreach_id,
       e.table_name,
       pg_catalog.count(*) AS blocking_errors,
       pg_catalog.max(e.escalation_level) AS max_escalation_level,
       pg_catalog.min(e.created_at) AS oldest_blocking_at
  FROM (SELECT d.outreach_id, 'outreach.dol_errors'::pg_catalog.text AS table_name, d.escalation_level, d.created_at
          FROM outreach.dol_errors AS d
         WHERE shq.fn_is_blocking(d.disposition) AND d.outreach_id IS NOT NULL
        UNION ALL
        SELECT c.outreach_id, 'outreach.company_target_errors'::pg_catalog.text, c.escalation_level, c.created_at
          FROM outreach.company_target_errors AS c
         WHERE shq.fn_is_blocking(c.disposition) AND c.outreach_id IS NOT NULL
        UNION ALL
        SELECT p.outreach_id, 'people.people_errors'::pg_catalog.text, p.escalation_level, p.created_at
          FROM people.people_errors AS p
         WHERE shq.fn_is_blocking(p.disposition) AND p.outreach_id IS NOT NULL
        UNION ALL
        SELECT u.outreach_id, 'company.url_discovery_failures'::pg_catalog.text, u.escalation_level, u.created_at
          FROM company.url_discovery_failures AS u
         WHERE shq.fn_is_blocking(u.disposition) AND u.outreach_id IS NOT NULL
        UNION ALL
        SELECT s.outreach_id, 'public.shq_error_log'::pg_catalog.text, s.escalation_level, s.created_at
          FROM public.shq_error_log AS s
         WHERE shq.fn_is_blocking(s.disposition) AND s.outreach_id IS NOT NULL) AS e
 GROUP BY e.outreach_id, e.table_name;
COMMENT ON VIEW shq.vw_blocking_errors_by_outreach IS
    'Outreach ids with blocking errors (disposition RETRY or PARKED) per governed table: count, highest escalation_level, oldest created_at (docs/reference/governance.md).';
GRANT SELECT ON shq.vw_blocking_errors_by_outreach TO outreach_governor, outreach_reader, outreach_hub_writer;
