-- outreach.tg_company_hub_status__after_insert_eligibility(): keeps outreach.company_eligibility after an
-- INSERT of hub rows (docs/maintained-eligibility.md), for the companies whose new rows count.
CREATE OR REPLACE FUNCTION outreach.tg_company_hub_status__after_insert_eligibility()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids text[];
BEGIN
    -- The row reads only the hub counts, and a new hub row that counts as
    -- neither passed nor failed (the IN_PROGRESS rows of a new Company
    -- Target) adds to none of them: only the companies with a row that
    -- counts are maintained. An insert moves no other row, so the counts of
    -- every other company stay as they were.
    SELECT array_agg(DISTINCT n.company_unique_id) INTO v_ids
      FROM new_rows n
     WHERE outreach._hub_status_counts_as_passed(n.status) OR outreach._hub_status_counts_as_failed(n.status);
    IF v_ids IS NOT NULL THEN
        PERFORM outreach._maintain_company_eligibility(v_ids, TG_RELID::regclass);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_hub_status__after_insert_eligibility() IS
    'Trigger (statement-level AFTER INSERT on outreach.company_hub_status, transition table new_rows): maintains, in one call of outreach._maintain_company_eligibility, the hub counts of the companies with a new row that counts as passed or failed (outreach._hub_status_counts_as_passed / _failed); a new row that counts as neither, such as the IN_PROGRESS rows of a new Company Target, changes no count and costs no maintenance.';
