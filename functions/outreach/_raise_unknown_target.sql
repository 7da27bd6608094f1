-- outreach._raise_unknown_target: the Company Target writers' error for a target_id that names no row
-- (docs/reference/hubs.md): OG002. Called where their UPDATE found nothing, after every argument check.
CREATE OR REPLACE FUNCTION outreach._raise_unknown_target(p_target_id text)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'Company Target % does not exist', p_target_id
        USING ERRCODE = 'OG002', HINT = 'Create it with outreach.fn_create_company_target and use the target_id it returns.';
END
$$;
COMMENT ON FUNCTION outreach._raise_unknown_target(text) IS
    'Private: raises OG002 naming the target_id, for the Company Target writers whose UPDATE found no row (docs/reference/hubs.md).';
