-- outreach.tg_company_eligibility__after_insert(): keeps outreach.company_eligibility (docs/maintained-eligibility.md).
-- Statement-level AFTER INSERT on each input table (NEW TABLE AS new_rows): one rebuild per statement.
CREATE OR REPLACE FUNCTION outreach.tg_company_eligibility__after_insert()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids text[];
BEGIN
    -- Every input table carries company_unique_id. SECURITY DEFINER: whoever
    -- may write an input keeps the row, through its sanctioned writer.
    SELECT array_agg(DISTINCT n.company_unique_id) INTO v_ids FROM new_rows n;
    IF v_ids IS NOT NULL THEN
        PERFORM outreach._maintain_company_eligibility(v_ids, TG_RELID::regclass);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_eligibility__after_insert() IS
    'Trigger (statement-level AFTER INSERT on the input tables of outreach.company_eligibility, NEW TABLE AS new_rows): rebuilds the maintained eligibility rows of exactly the companies whose rows the statement inserted, in one call of outreach._maintain_company_eligibility.';
