-- outreach.tg_company_target__history_delete(): AFTER DELETE on outreach.company_target, per statement
-- (transition tables old_rows): one history row (outreach_status NULL) per Company Target deleted (docs/reference/hubs.md, docs/reference/operations.md).
CREATE OR REPLACE FUNCTION outreach.tg_company_target__history_delete()
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
    SELECT o.target_id, o.company_unique_id, 'DELETE', NULL, NULL, v_now, session_user
      FROM old_rows AS o;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_target__history_delete() IS
    'Trigger (AFTER DELETE ON outreach.company_target, per statement): one outreach.company_target_status_history row '
    '(outreach_status NULL) per Company Target deleted, in the same transaction (state history).';
