-- cl.tg_company_identity__history_insert(): AFTER INSERT on cl.company_identity, per statement
-- (transition tables new_rows): one history row per company registered (docs/reference/identity.md).
CREATE OR REPLACE FUNCTION cl.tg_company_identity__history_insert()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now timestamptz := clock_timestamp();   -- the changing statement has just ended
BEGIN
    INSERT INTO cl.company_identity_history
           (company_unique_id, operation, eligibility_status, outreach_id, changed_at, changed_by)
    SELECT n.company_unique_id, 'INSERT', n.eligibility_status, n.outreach_id, v_now, session_user
      FROM new_rows AS n;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION cl.tg_company_identity__history_insert() IS
    'Trigger (AFTER INSERT ON cl.company_identity, per statement): one cl.company_identity_history row per company '
    'registered, in the same transaction (state history).';
