-- shq.fn_error_archive_summary: the archive side of error governance (docs/reference/governance.md): rows in each governed
-- table's archive, by the disposition they had when archived. Loops over the registry: a new table needs no change.
CREATE OR REPLACE FUNCTION shq.fn_error_archive_summary()
RETURNS TABLE (table_name text, archive_table text, final_disposition text, archived bigint,
               oldest_archived_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
-- Invoker rights: the roles that read the governed tables read their archives
-- (outreach_governor, outreach_hub_writer). The table names come from the
-- registry and are quoted with %I.
DECLARE
    r shq.governed_error_tables;
BEGIN
    FOR r IN SELECT g.* FROM shq.governed_error_tables g ORDER BY g.display_order LOOP
        table_name := r.table_name;
        archive_table := r.archive_table;
        FOR final_disposition, archived, oldest_archived_at IN EXECUTE format(
            'SELECT a.final_disposition::pg_catalog.text, pg_catalog.count(*), pg_catalog.min(a.archived_at)'
            '  FROM %I.%I AS a GROUP BY a.final_disposition ORDER BY 1',
            split_part(r.archive_table, '.', 1), split_part(r.archive_table, '.', 2))
        LOOP
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION shq.fn_error_archive_summary() IS
    'Rows in the archive of each governed error table (registry order), by final_disposition: count and oldest archived_at. With shq.vw_error_governance_summary it accounts for every error, live or archived (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_error_archive_summary() TO outreach_governor, outreach_hub_writer;
