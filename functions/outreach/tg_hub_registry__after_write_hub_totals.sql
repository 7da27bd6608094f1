-- outreach.tg_hub_registry__after_write_hub_totals(): keeps the hub-count constants of the tier rule
-- equal to outreach.hub_registry after any statement that writes it (docs/maintained-eligibility.md).
CREATE OR REPLACE FUNCTION outreach.tg_hub_registry__after_write_hub_totals()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM outreach._write_hub_totals();
    -- the maintained rows store the tier, which the totals change: same transaction
    PERFORM outreach._rewrite_company_eligibility_tiers();
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_hub_registry__after_write_hub_totals() IS
    'Trigger (statement-level AFTER INSERT, UPDATE, DELETE, TRUNCATE on outreach.hub_registry): rewrites the hub-count constants by outreach._write_hub_totals() and the maintained rows'' stored tiers by outreach._rewrite_company_eligibility_tiers(), in the same transaction.';
