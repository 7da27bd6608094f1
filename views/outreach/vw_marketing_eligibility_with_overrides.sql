-- outreach.vw_marketing_eligibility_with_overrides: THE authoritative marketing
-- eligibility source (docs/reference/hubs.md): computed tier plus active kill-switch overrides.
CREATE OR REPLACE VIEW outreach.vw_marketing_eligibility_with_overrides AS
SELECT e.company_unique_id,
       e.outreach_id,
       e.eligibility_status,
       e.outreach_status,
       e.computed_tier,
       e.tier_reason,
       e.bit_score,
       e.score_tier,
       -- an active FORCE_TIER cap lowers, never raises; -1 stays -1 (caps are >= -1);
       -- LEAST ignores the NULL cap of a company without one
       LEAST(e.computed_tier, ov.tier_cap)                                AS effective_tier,
       -- the flags read the one list of active types rather than an aggregate each:
       -- every gate check starts the aggregate again, and each aggregate costs
       coalesce('BLOCK_OUTREACH' = ANY (ov.override_types), false)                  AS marketing_disabled,
       coalesce(ov.override_types && '{BLOCK_OUTREACH,BLOCK_EMAIL}'::text[], false) AS email_blocked,
       coalesce(ov.override_types && '{BLOCK_OUTREACH,BLOCK_PHONE}'::text[], false) AS phone_blocked,
       ov.company_unique_id IS NOT NULL                                   AS has_active_override,
       coalesce(ov.override_types, '{}'::text[])                          AS active_override_types
  FROM outreach.vw_marketing_eligibility e
  LEFT JOIN (
        -- active = not removed, and no expiry or expiry in the future: expiry needs no job.
        -- No DISTINCT and no FILTER: a company has at most one not-removed override
        -- of a type (manual_overrides_one_active_idx), and only FORCE_TIER carries
        -- a cap (manual_overrides_cap_only_for_force_tier); each costs every gate
        -- check's plan start and would change no answer.
        SELECT mo.company_unique_id,
               min(mo.tier_cap)                                   AS tier_cap,
               array_agg(mo.override_type ORDER BY mo.override_type) AS override_types
          FROM outreach.manual_overrides mo
         WHERE mo.removed_at IS NULL
           AND (mo.expires_at IS NULL OR mo.expires_at > now())
         GROUP BY mo.company_unique_id
       ) ov ON ov.company_unique_id = e.company_unique_id;
COMMENT ON VIEW outreach.vw_marketing_eligibility_with_overrides IS
    'THE authoritative marketing eligibility source: computed_tier, effective_tier (-1 stays -1; an active FORCE_TIER cap lowers, never raises), marketing_disabled / email_blocked / phone_blocked and the active override types, one row per spine company (docs/reference/hubs.md).';
GRANT SELECT ON outreach.vw_marketing_eligibility_with_overrides
    TO outreach_reader, outreach_governor, outreach_hub_writer, outreach_sender, outreach_override_admin;
-- the tier rule's constant functions are executable by exactly this view's and
-- vw_marketing_eligibility's readers: both exist now, so their grants follow
DO $$
BEGIN
    PERFORM outreach._write_hub_totals();
END
$$;
