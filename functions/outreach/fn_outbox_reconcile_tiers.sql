-- outreach.fn_outbox_reconcile_tiers: the daily job that announces tiers no write moved: an override that
-- expired, a person whose email was verified (TIER_CHANGED, cause reconcile; docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach.fn_outbox_reconcile_tiers()
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- One pass over the authoritative view against outreach.outbox_tier_state;
-- only the companies whose tier differs are locked and announced. Its first
-- run announces every company that never had a TIER_CHANGED (previous_tier
-- null), which is how CL learns the tiers of a database that existed before
-- the outbox (or was loaded in bulk under session_replication_role = replica).
DECLARE
    v_ids text[];
BEGIN
    SELECT array_agg(o.company_unique_id) INTO v_ids FROM outreach.outreach o;
    RETURN outreach._outbox_tier_changes(v_ids, 'reconcile', true);
END
$$;
COMMENT ON FUNCTION outreach.fn_outbox_reconcile_tiers() IS
    'Announces (TIER_CHANGED, cause reconcile) every spine company whose effective tier differs from the last one CL was told: tiers that moved without a write (override expiry, verified people) and companies never announced; returns the events written (docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_outbox_reconcile_tiers() TO outreach_governor;
