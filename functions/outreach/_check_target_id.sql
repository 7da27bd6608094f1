-- outreach._check_target_id: the Company Target writers' first check (docs/reference/hubs.md): a target_id
-- that is not blank (22023). Shared by fn_update_company_target and fn_set_outreach_status.
CREATE OR REPLACE FUNCTION outreach._check_target_id(p_target_id text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF shq.fn_is_blank(p_target_id) THEN
        RAISE EXCEPTION 'target_id must not be NULL or blank'
            USING ERRCODE = '22023', HINT = 'Pass the target_id outreach.fn_create_company_target returned.';
    END IF;
END
$$;
COMMENT ON FUNCTION outreach._check_target_id(text) IS
    'Private: 22023 for a NULL or blank target_id, for the Company Target writers (docs/reference/hubs.md).';
