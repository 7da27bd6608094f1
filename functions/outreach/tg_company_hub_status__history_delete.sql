-- outreach.tg_company_hub_status__history_delete(): AFTER DELETE on outreach.company_hub_status, per statement
-- (transition tables old_rows): one history row (status NULL) per hub-status row deleted (docs/reference/hubs.md, docs/reference/operations.md).
CREATE OR REPLACE FUNCTION outreach.tg_company_hub_status__history_delete()
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
    SELECT o.company_unique_id, o.hub_id, 'DELETE', NULL, NULL, v_now, session_user
      FROM old_rows AS o;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_hub_status__history_delete() IS
    'Trigger (AFTER DELETE ON outreach.company_hub_status, per statement): one outreach.company_hub_status_history row '
    '(status NULL) per hub-status row deleted, in the same transaction (state history).';
