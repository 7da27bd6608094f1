-- outreach.tg_company_eligibility__after_update(): keeps outreach.company_eligibility (docs/maintained-eligibility.md).
-- Statement-level AFTER UPDATE on each input table (OLD TABLE AS old_rows NEW TABLE AS new_rows): one rebuild per statement.
CREATE OR REPLACE FUNCTION outreach.tg_company_eligibility__after_update()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids text[];
    v_columns text[] := outreach._company_eligibility_input_columns(TG_RELID::regclass);
BEGIN
    -- Every input table carries company_unique_id. SECURITY DEFINER: whoever
    -- may write an input keeps the row, through its sanctioned writer.
    -- before and after: an update may move a row from one company to another
    IF v_columns IS NULL THEN
        SELECT array_agg(DISTINCT x.company_unique_id) INTO v_ids
          FROM (SELECT n.company_unique_id FROM new_rows n UNION ALL SELECT o.company_unique_id FROM old_rows o) x;
    ELSE
        -- only the companies whose rows changed in a column the maintained
        -- row reads: (company, values) before and after, as multisets; an
        -- update of anything else (a timestamp, a name) costs no maintenance
        SELECT array_agg(DISTINCT d.company_unique_id) INTO v_ids
          FROM ((SELECT n.company_unique_id, ARRAY(SELECT to_jsonb(n) -> c FROM unnest(v_columns) AS c) FROM new_rows n
                 EXCEPT ALL
                 SELECT o.company_unique_id, ARRAY(SELECT to_jsonb(o) -> c FROM unnest(v_columns) AS c) FROM old_rows o)
                UNION ALL
                (SELECT o.company_unique_id, ARRAY(SELECT to_jsonb(o) -> c FROM unnest(v_columns) AS c) FROM old_rows o
                 EXCEPT ALL
                 SELECT n.company_unique_id, ARRAY(SELECT to_jsonb(n) -> c FROM unnest(v_columns) AS c) FROM new_rows n)
               ) AS d (company_unique_id, input_values);
    END IF;
    IF v_ids IS NOT NULL THEN
        PERFORM outreach._maintain_company_eligibility(v_ids, TG_RELID::regclass);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_eligibility__after_update() IS
    'Trigger (statement-level AFTER UPDATE on the input tables of outreach.company_eligibility, OLD TABLE AS old_rows NEW TABLE AS new_rows): rebuilds the maintained eligibility rows of exactly the companies whose rows the statement updated, in one call of outreach._maintain_company_eligibility.';
