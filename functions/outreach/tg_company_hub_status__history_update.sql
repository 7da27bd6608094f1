-- outreach.tg_company_hub_status__history_update(): AFTER UPDATE on outreach.company_hub_status, per statement
-- (transition tables old_rows and new_rows): one history row per hub-status row whose status or reason changed (docs/reference/hubs.md).
CREATE OR REPLACE FUNCTION outreach.tg_company_hub_status__history_update()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := clock_timestamp();   -- the changing statement has just ended
BEGIN
    -- FULL JOIN: an update that changed a row's key (nothing sanctioned does)
    -- shows as the old key gone (NULL values) and the new key's values
    INSERT INTO outreach.company_hub_status_history
           (company_unique_id, hub_id, operation, status, status_reason, changed_at, changed_by)
    SELECT coalesce(n.company_unique_id, o.company_unique_id), coalesce(n.hub_id, o.hub_id), 'UPDATE',
           n.status, n.status_reason, v_now, session_user
      FROM new_rows AS n
      FULL JOIN old_rows AS o ON o.company_unique_id = n.company_unique_id AND o.hub_id = n.hub_id
     WHERE n.company_unique_id IS NULL OR o.company_unique_id IS NULL
        OR (n.status, n.status_reason) IS DISTINCT FROM (o.status, o.status_reason);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_hub_status__history_update() IS
    'Trigger (AFTER UPDATE ON outreach.company_hub_status, per statement): one outreach.company_hub_status_history row '
    'per hub-status row whose status or status_reason changed, in the same transaction (state history).';
