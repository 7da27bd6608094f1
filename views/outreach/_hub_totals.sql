-- outreach._hub_totals: how many hubs are required and optional, and which
-- required hubs exist in display order (docs/reference/hubs.md). One row; internal. The counts are the
-- registry's constants (outreach._write_hub_totals).
CREATE OR REPLACE VIEW outreach._hub_totals AS
SELECT outreach._hub_required_total()                                          AS required_total,
       outreach._hub_optional_total()                                          AS optional_total,
       coalesce(array_agg(hr.hub_id ORDER BY hr.display_order) FILTER (WHERE hr.is_required), '{}') AS required_hubs
  FROM outreach.hub_registry hr;
COMMENT ON VIEW outreach._hub_totals IS
    'Internal: one row with required_total, optional_total and the required hub ids in display order (docs/reference/hubs.md).';
