-- cl.company_identity needs no eligibility trigger on INSERT: a company new to CL has no spine row yet, so it
-- has no maintained eligibility row to keep (docs/maintained-eligibility.md). Registration saves one trigger call.
-- depends: 1401_company_eligibility_guarded
SET LOCAL search_path = pg_catalog, pg_temp;

-- The spine's foreign key to CL (outreach.outreach.company_unique_id) is not
-- deferrable: a CL row being inserted cannot be referenced by a spine row, and
-- the maintained row exists only for spine companies. An INSERT ... ON CONFLICT
-- DO UPDATE that changes an existing company goes to the UPDATE trigger.
DROP TRIGGER IF EXISTS trg_company_identity_500_eligibility_insert ON cl.company_identity;
