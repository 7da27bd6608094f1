-- outreach.vw_marketing_eligibility_with_overrides: THE authoritative marketing
-- eligibility source (docs/reference/hubs.md): computed tier plus active kill-switch overrides.
-- One row read per company: the maintained row holds, per override type, the
-- expiry of the company's not-removed override (docs/maintained-eligibility.md).
-- Active = that expiry is later than now() ('infinity' when it has none), so
-- expiry needs no job and every reader sees an override end when it expires.
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
       -- LEAST ignores the NULL of a company without an active cap
       LEAST(e.computed_tier, CASE WHEN e.override_force_tier_until > now() THEN e.override_force_tier_cap END)
                                                                           AS effective_tier,
       coalesce(e.override_block_outreach_until > now(), false)            AS marketing_disabled,
       coalesce(e.override_block_outreach_until > now() OR e.override_block_email_until > now(), false)
                                                                           AS email_blocked,
       coalesce(e.override_block_outreach_until > now() OR e.override_block_phone_until > now(), false)
                                                                           AS phone_blocked,
       coalesce(e.override_block_outreach_until > now() OR e.override_block_email_until > now()
                OR e.override_block_phone_until > now() OR e.override_force_tier_until > now(), false)
                                                                           AS has_active_override,
       -- the active types in their sort order, as array_agg(... ORDER BY override_type) gave them
       array_remove(ARRAY[CASE WHEN e.override_block_email_until > now()    THEN 'BLOCK_EMAIL' END,
                          CASE WHEN e.override_block_outreach_until > now() THEN 'BLOCK_OUTREACH' END,
                          CASE WHEN e.override_block_phone_until > now()    THEN 'BLOCK_PHONE' END,
                          CASE WHEN e.override_force_tier_until > now()     THEN 'FORCE_TIER' END], NULL)
                                                                           AS active_override_types
  FROM outreach._company_eligibility_tier e;
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
