-- outreach.tg_company_eligibility__after_truncate(): keeps outreach.company_eligibility (docs/maintained-eligibility.md).
-- Statement-level AFTER TRUNCATE on the input tables that allow one: every row is rebuilt.
CREATE OR REPLACE FUNCTION outreach.tg_company_eligibility__after_truncate()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- a TRUNCATE names no rows: rebuild every company
    PERFORM outreach.fn_rebuild_company_eligibility(NULL);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_eligibility__after_truncate() IS
    'Trigger (statement-level AFTER TRUNCATE on the input tables of outreach.company_eligibility that may be truncated): rebuilds every maintained eligibility row.';
