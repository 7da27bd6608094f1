-- Every statement that writes outreach.hub_registry (only a migration may) rewrites the hub-count
-- constants of the tier rule in the same transaction (docs/maintained-eligibility.md).
CREATE OR REPLACE TRIGGER trg_hub_registry_500_hub_totals
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON outreach.hub_registry
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_hub_registry__after_write_hub_totals();
