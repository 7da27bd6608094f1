-- outreach.company_eligibility: the state of the company's kill-switch overrides joins the maintained row,
-- so the authoritative view reads one row per company (docs/maintained-eligibility.md).
-- depends: 1740_company_eligibility_one_counts_check
SET LOCAL search_path = pg_catalog, pg_temp;

-- Per override type, the expiry of the company's not-removed override of that
-- type (NULL: none; 'infinity': no expiry), and the FORCE_TIER cap. Whether
-- an override is active still depends on the clock, so the views compare the
-- expiries with now() when they are read. The columns start NULL; the
-- rebuild at the end of `pyctl migrate` fills them from outreach.manual_overrides.
ALTER TABLE outreach.company_eligibility
    ADD COLUMN override_block_outreach_until timestamptz,
    ADD COLUMN override_block_email_until    timestamptz,
    ADD COLUMN override_block_phone_until    timestamptz,
    ADD COLUMN override_force_tier_until     timestamptz,
    ADD COLUMN override_force_tier_cap       integer;
COMMENT ON COLUMN outreach.company_eligibility.override_block_outreach_until IS
    'Expiry of the company''s not-removed BLOCK_OUTREACH override (infinity: no expiry set; NULL: no such override); active while later than now().';
COMMENT ON COLUMN outreach.company_eligibility.override_block_email_until IS
    'Expiry of the company''s not-removed BLOCK_EMAIL override (infinity: no expiry set; NULL: no such override); active while later than now().';
COMMENT ON COLUMN outreach.company_eligibility.override_block_phone_until IS
    'Expiry of the company''s not-removed BLOCK_PHONE override (infinity: no expiry set; NULL: no such override); active while later than now().';
COMMENT ON COLUMN outreach.company_eligibility.override_force_tier_until IS
    'Expiry of the company''s not-removed FORCE_TIER override (infinity: no expiry set; NULL: no such override); active while later than now().';
COMMENT ON COLUMN outreach.company_eligibility.override_force_tier_cap IS
    'The tier cap of the company''s not-removed FORCE_TIER override (NULL: none).';
