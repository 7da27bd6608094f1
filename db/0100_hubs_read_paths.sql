-- Hub model read paths (docs/reference/hubs.md): indexes the eligibility and readiness views read.
-- depends: 0007_tool_canon

-- vw_marketing_eligibility joins the "verified person in a filled slot" rollup
-- on company_unique_id, so that a filter on company_unique_id reaches it;
-- only filled slots ever count.
CREATE INDEX company_slot_filled_company_idx
    ON people.company_slot (company_unique_id, slot_id) WHERE is_filled;

-- the verified people of a slot (tier 3)
CREATE INDEX people_master_verified_slot_idx
    ON people.people_master (slot_id, outreach_id) WHERE email_verified;

