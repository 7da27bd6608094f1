-- outreach.tg_company_hub_status__after_write_outbox(): hub statuses written by a statement may move their
-- companies' effective tier: TIER_CHANGED (docs/consuming-events.md). AFTER INSERT and AFTER UPDATE, per statement.
CREATE OR REPLACE FUNCTION outreach.tg_company_hub_status__after_write_outbox()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- @plpgsql_check_options: newtable = new_rows, oldtable = old_rows
-- The hub evaluation (outreach._evaluate_hub_statuses) may promote hubs in
-- several statements (one company's rounds); it says so with the
-- transaction-local setting outreach.tier_detection = 'deferred' and asks
-- once, for every company it promoted, after its last write.
DECLARE
    v_ids text[];
BEGIN
    IF current_setting('outreach.tier_detection', true) = 'deferred' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.company_unique_id) INTO v_ids FROM new_rows n;
    ELSE
        SELECT array_agg(DISTINCT n.company_unique_id) INTO v_ids
          FROM new_rows n
          JOIN old_rows o ON o.company_unique_id = n.company_unique_id AND o.hub_id = n.hub_id
         WHERE o.status IS DISTINCT FROM n.status;
    END IF;
    PERFORM outreach._outbox_tier_changes(v_ids, 'hub_status');
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_hub_status__after_write_outbox() IS
    'Trigger (AFTER INSERT and AFTER UPDATE ON company_hub_status, per statement): TIER_CHANGED for the companies whose hub status a statement wrote (outreach._outbox_tier_changes), unless the bulk evaluation deferred it (docs/consuming-events.md).';
