-- shq.tg_sovereign_guard(): the mutation guard of the sovereign tables (SPEC §13).
-- Statement-level BEFORE INSERT / UPDATE / DELETE / TRUNCATE, ENABLE ALWAYS.
CREATE OR REPLACE FUNCTION shq.tg_sovereign_guard()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_table text := TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME;
BEGIN
    -- A sanctioned writer is a SECURITY DEFINER function owned by
    -- outreach_owner that names the table in the transaction-local setting
    -- shq.sanctioned_writer before it writes (see shq.fn_sanction).
    IF current_user = 'outreach_owner'
       AND (v_table = ANY (string_to_array(coalesce(current_setting('shq.sanctioned_writer', true), ''), ','))
            OR 'outreach.fn_delete_outreach_cascade' = ANY (
                   string_to_array(coalesce(current_setting('shq.sanctioned_writer', true), ''), ',')))
    THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% on sovereign table % outside its sanctioned function', TG_OP, v_table
        USING ERRCODE = 'OG005',
              DETAIL = format('current_user %s is not a sanctioned writer of %s', current_user, v_table),
              HINT = CASE v_table
                  WHEN 'outreach.company_hub_status' THEN 'Use outreach.fn_set_hub_status or outreach.fn_evaluate_hub_statuses.'
                  WHEN 'outreach.manual_overrides' THEN 'Use outreach.set_marketing_override or outreach.remove_marketing_override.'
                  WHEN 'outreach.bit_scores' THEN 'Use outreach.fn_refresh_bit_scores.'
                  WHEN 'outreach.hub_registry' THEN 'Hub definitions change only through a migration.'
                  ELSE 'Use the table''s sanctioned function.' END;
END
$$;
COMMENT ON FUNCTION shq.tg_sovereign_guard() IS
    'Trigger: raises OG005 for any write to a sovereign table that does not come from its sanctioned function, whoever the role (SPEC §13).';
