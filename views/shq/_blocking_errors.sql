-- shq._blocking_errors: blocking errors (disposition RETRY or PARKED)
-- per outreach_id and governed table, with the hub the registry binds the table to.
CREATE OR REPLACE VIEW shq._blocking_errors AS
SELECT e.outreach_id,
       g.hub_id,
       e.table_name,
       e.blocking_errors
  FROM (SELECT 'outreach.dol_errors'::text AS table_name, x.outreach_id, count(*) AS blocking_errors
          FROM outreach.dol_errors x
         WHERE shq.fn_is_blocking(x.disposition) AND x.outreach_id IS NOT NULL
         GROUP BY x.outreach_id
        UNION ALL
        SELECT 'outreach.company_target_errors'::text, x.outreach_id, count(*)
          FROM outreach.company_target_errors x
         WHERE shq.fn_is_blocking(x.disposition) AND x.outreach_id IS NOT NULL
         GROUP BY x.outreach_id
        UNION ALL
        SELECT 'people.people_errors'::text, x.outreach_id, count(*)
          FROM people.people_errors x
         WHERE shq.fn_is_blocking(x.disposition) AND x.outreach_id IS NOT NULL
         GROUP BY x.outreach_id
        UNION ALL
        SELECT 'company.url_discovery_failures'::text, x.outreach_id, count(*)
          FROM company.url_discovery_failures x
         WHERE shq.fn_is_blocking(x.disposition) AND x.outreach_id IS NOT NULL
         GROUP BY x.outreach_id
        UNION ALL
        SELECT 'public.shq_error_log'::text, x.outreach_id, count(*)
          FROM public.shq_error_log x
         WHERE shq.fn_is_blocking(x.disposition) AND x.outreach_id IS NOT NULL
         GROUP BY x.outreach_id) e
  JOIN shq.governed_error_tables g ON g.table_name = e.table_name;
COMMENT ON VIEW shq._blocking_errors IS
    'Internal: blocking (RETRY/PARKED) errors per outreach_id and governed table; hub_id from shq.governed_error_tables (NULL: the table blocks no hub). A governed table added to the registry must be added here (pgTAP hubs_promotion checks it).';
GRANT SELECT ON shq._blocking_errors TO outreach_governor;
