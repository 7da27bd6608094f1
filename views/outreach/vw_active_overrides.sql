-- outreach.vw_active_overrides: the kill-switch overrides in force right now (docs/reference/gate.md),
-- for operators: not removed and not expired (expiry is read-time, no job).
CREATE OR REPLACE VIEW outreach.vw_active_overrides AS
SELECT mo.override_id,
       mo.company_unique_id,
       mo.override_type,
       mo.tier_cap,
       mo.reason,
       mo.created_by,
       mo.created_at,
       mo.expires_at
  FROM outreach.manual_overrides mo
 WHERE mo.removed_at IS NULL
   AND (mo.expires_at IS NULL OR mo.expires_at > now());
COMMENT ON VIEW outreach.vw_active_overrides IS
    'Operators: the active kill-switch overrides (not removed, not expired), one row each: who set which override, why, and until when (docs/reference/gate.md).';
GRANT SELECT ON outreach.vw_active_overrides TO outreach_override_admin, outreach_governor, outreach_reader;
