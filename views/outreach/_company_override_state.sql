-- outreach._company_override_state: per company, the state of its not-removed kill-switch overrides
-- (docs/maintained-eligibility.md); the override part of the from-scratch computation of
-- outreach.company_eligibility, and what the overrides' maintenance copies into it.
CREATE OR REPLACE VIEW outreach._company_override_state AS
-- One column per override type, named after it: the authoritative view reads
-- one row per company and tests a type with one comparison, without an
-- aggregate. The types are those of manual_overrides_type_check;
-- tests/test_eligibility_maintained.py fails when a type has no column here.
-- Expired rows count until they are removed: whether an override is active
-- depends on the clock, and the readers compare the expiry with now(). At
-- most one not-removed row per type (manual_overrides_one_active_idx), so
-- each aggregate sees at most one value.
SELECT mo.company_unique_id,
       max(coalesce(mo.expires_at, 'infinity')) FILTER (WHERE mo.override_type = 'BLOCK_OUTREACH') AS override_block_outreach_until,
       max(coalesce(mo.expires_at, 'infinity')) FILTER (WHERE mo.override_type = 'BLOCK_EMAIL')    AS override_block_email_until,
       max(coalesce(mo.expires_at, 'infinity')) FILTER (WHERE mo.override_type = 'BLOCK_PHONE')    AS override_block_phone_until,
       max(coalesce(mo.expires_at, 'infinity')) FILTER (WHERE mo.override_type = 'FORCE_TIER')     AS override_force_tier_until,
       -- only FORCE_TIER carries a cap (manual_overrides_cap_only_for_force_tier)
       min(mo.tier_cap)                                                                             AS override_force_tier_cap
  FROM outreach.manual_overrides mo
 WHERE mo.removed_at IS NULL
 GROUP BY mo.company_unique_id;
COMMENT ON VIEW outreach._company_override_state IS
    'Internal: per company with a not-removed override, the expiry of that override per type (infinity: no expiry) and the FORCE_TIER cap, in the override columns of outreach.company_eligibility.';
