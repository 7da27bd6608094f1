-- shq._archive_copy_columns: the columns an archived error row copies from its governed table
-- (docs/reference/governance.md). Private helper: every column both tables have, minus the archive metadata.
CREATE OR REPLACE FUNCTION shq._archive_copy_columns(p_table text, p_archive text)
RETURNS text
LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp
AS $$
    SELECT string_agg(quote_ident(s.attname), ', ' ORDER BY s.attnum)
      FROM pg_attribute s
      JOIN pg_attribute a
        ON a.attrelid = to_regclass(p_archive) AND a.attname = s.attname
       AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     WHERE s.attrelid = to_regclass(p_table) AND s.attnum > 0 AND NOT s.attisdropped
       AND s.attname <> ALL (ARRAY['disposition', 'archived_at', 'archived_by', 'archive_reason',
                                   'final_disposition', 'retention_expires_at']::name[]);
$$;
COMMENT ON FUNCTION shq._archive_copy_columns(text, text) IS
    'Private: quoted list of the columns an archive row copies from its governed error table (all shared columns but the archive metadata) (docs/reference/governance.md).';
