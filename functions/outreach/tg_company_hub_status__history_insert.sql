-- outreach.tg_company_hub_status__history_insert(): AFTER INSERT on outreach.company_hub_status, per statement
-- (transition tables new_rows): one history row per hub-status row created (docs/reference/hubs.md).
CREATE OR REPLACE FUNCTION outreach.tg_company_hub_status__history_insert()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := clock_timestamp();   -- the changing statement has just ended
BEGIN
    INSERT INTO outreach.company_hub_status_history
           (company_unique_id, hub_id, operation, status, status_reason, changed_at, changed_by)
    SELECT n.company_unique_id, n.hub_id, 'INSERT', n.status, n.status_reason, v_now, session_user
      FROM new_rows AS n;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_hub_status__history_insert() IS
    'Trigger (AFTER INSERT ON outreach.company_hub_status, per statement): one outreach.company_hub_status_history row '
    'per hub-status row created, in the same transaction (state history).';
