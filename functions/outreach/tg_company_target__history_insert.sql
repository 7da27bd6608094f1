-- outreach.tg_company_target__history_insert(): AFTER INSERT on outreach.company_target, per statement
-- (transition tables new_rows): one history row per Company Target created (docs/reference/hubs.md).
CREATE OR REPLACE FUNCTION outreach.tg_company_target__history_insert()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := clock_timestamp();   -- the changing statement has just ended
BEGIN
    INSERT INTO outreach.company_target_status_history
           (target_id, company_unique_id, operation, outreach_status, status_reason, changed_at, changed_by)
    SELECT n.target_id, n.company_unique_id, 'INSERT', n.outreach_status, n.status_reason, v_now, session_user
      FROM new_rows AS n;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_target__history_insert() IS
    'Trigger (AFTER INSERT ON outreach.company_target, per statement): one outreach.company_target_status_history row '
    'per Company Target created, in the same transaction (state history).';
