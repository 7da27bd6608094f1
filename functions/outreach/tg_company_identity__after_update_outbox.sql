-- outreach.tg_company_identity__after_update_outbox(): a CL eligibility change may move the company's effective
-- tier: TIER_CHANGED (docs/consuming-events.md). AFTER UPDATE ON cl.company_identity, per statement.
CREATE OR REPLACE FUNCTION outreach.tg_company_identity__after_update_outbox()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- @plpgsql_check_options: newtable = new_rows, oldtable = old_rows
DECLARE
    v_ids text[];
BEGIN
    SELECT array_agg(n.company_unique_id) INTO v_ids
      FROM new_rows n
      JOIN old_rows o ON o.company_unique_id = n.company_unique_id
     WHERE o.eligibility_status IS DISTINCT FROM n.eligibility_status;
    -- most updates (the mint's write-back of an outreach_id, a new name) change no
    -- eligibility: no call, and none of its cost
    IF v_ids IS NOT NULL THEN
        PERFORM outreach._outbox_tier_changes(v_ids, 'cl_eligibility');
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_identity__after_update_outbox() IS
    'Trigger (AFTER UPDATE ON cl.company_identity, per statement): TIER_CHANGED for the companies whose CL eligibility_status changed (outreach._outbox_tier_changes, docs/consuming-events.md).';
