-- cl.tg_company_identity__history_update(): AFTER UPDATE on cl.company_identity, per statement
-- (transition tables old_rows and new_rows): one history row per company whose eligibility or binding changed (docs/reference/identity.md).
CREATE OR REPLACE FUNCTION cl.tg_company_identity__history_update()
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
    INSERT INTO cl.company_identity_history
           (company_unique_id, operation, eligibility_status, outreach_id, changed_at, changed_by)
    SELECT coalesce(n.company_unique_id, o.company_unique_id), 'UPDATE', n.eligibility_status, n.outreach_id,
           v_now, session_user
      FROM new_rows AS n
      FULL JOIN old_rows AS o ON o.company_unique_id = n.company_unique_id
     WHERE n.company_unique_id IS NULL OR o.company_unique_id IS NULL
        OR (n.eligibility_status, n.outreach_id) IS DISTINCT FROM (o.eligibility_status, o.outreach_id);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION cl.tg_company_identity__history_update() IS
    'Trigger (AFTER UPDATE ON cl.company_identity, per statement): one cl.company_identity_history row per company '
    'whose eligibility_status or outreach_id changed, in the same transaction (state history).';
