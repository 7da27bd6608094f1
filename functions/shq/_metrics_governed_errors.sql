-- shq._metrics_governed_errors: governed errors by table, disposition and escalation level, with the
-- oldest created_at of each group (monitoring; docs/monitoring.md).
CREATE OR REPLACE FUNCTION shq._metrics_governed_errors()
RETURNS TABLE (table_name text, disposition text, escalation_level integer, errors bigint,
               oldest_created_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- One aggregate per table of the registry shq.governed_error_tables, so a
-- table added there is counted with no change here. SECURITY DEFINER: the
-- monitor role reads the counts, never the error rows.
DECLARE
    r record;
BEGIN
    FOR r IN SELECT g2.table_name, split_part(g2.table_name, '.', 1) AS schema_name,
                    split_part(g2.table_name, '.', 2) AS rel_name
               FROM shq.governed_error_tables AS g2
              WHERE to_regclass(g2.table_name) IS NOT NULL
              ORDER BY g2.display_order, g2.table_name
    LOOP
        FOR disposition, escalation_level, errors, oldest_created_at IN EXECUTE format(
            'SELECT e.disposition::text, e.escalation_level, count(*), min(e.created_at)'
            '  FROM %I.%I AS e GROUP BY e.disposition, e.escalation_level', r.schema_name, r.rel_name)
        LOOP
            table_name := r.table_name;
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION shq._metrics_governed_errors() IS
    'Private (read by shq.vw_metrics_governed): errors per governed table (registry order), disposition and escalation_level, with the oldest created_at of each group.';
GRANT EXECUTE ON FUNCTION shq._metrics_governed_errors() TO outreach_monitor, outreach_governor;
