-- outreach.tg_company_target__history_update(): AFTER UPDATE on outreach.company_target, per statement
-- (transition tables old_rows and new_rows): one history row per Company Target whose outreach_status or
-- status_reason changed (docs/reference/hubs.md, docs/reference/gate.md).
CREATE OR REPLACE FUNCTION outreach.tg_company_target__history_update()
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
    INSERT INTO outreach.company_target_status_history
           (target_id, company_unique_id, operation, outreach_status, status_reason, changed_at, changed_by)
    SELECT coalesce(n.target_id, o.target_id), coalesce(n.company_unique_id, o.company_unique_id), 'UPDATE',
           n.outreach_status, n.status_reason, v_now, session_user
      FROM new_rows AS n
      FULL JOIN old_rows AS o ON o.target_id = n.target_id
     WHERE n.target_id IS NULL OR o.target_id IS NULL
        OR (n.outreach_status, n.status_reason) IS DISTINCT FROM (o.outreach_status, o.status_reason);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_target__history_update() IS
    'Trigger (AFTER UPDATE ON outreach.company_target, per statement): one outreach.company_target_status_history row '
    'per Company Target whose outreach_status or status_reason changed, in the same transaction (state history).';
