-- outreach.tg_override_audit_log__after_insert_outbox(): every kill-switch change (set, replace, remove) may move
-- the company's effective tier: TIER_CHANGED (docs/consuming-events.md). Per statement, NEW TABLE new_rows.
CREATE OR REPLACE FUNCTION outreach.tg_override_audit_log__after_insert_outbox()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- @plpgsql_check_options: newtable = new_rows
-- On the audit rows rather than on manual_overrides: set_marketing_override
-- writes them after both halves of a replacement, so a replaced cap is
-- never announced as an intermediate tier.
DECLARE
    v_ids text[];
BEGIN
    SELECT array_agg(DISTINCT n.company_unique_id) INTO v_ids FROM new_rows n;
    PERFORM outreach._outbox_tier_changes(v_ids, 'override');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_override_audit_log__after_insert_outbox() IS
    'Trigger (AFTER INSERT ON override_audit_log, per statement): TIER_CHANGED for the companies whose kill switch changed (outreach._outbox_tier_changes, docs/consuming-events.md).';
