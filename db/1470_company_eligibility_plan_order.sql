-- The campaign plan's order on the maintained eligibility row (docs/reference/gate.md, fn_plan_campaign_sends):
-- highest BIT score first, NULL last, then company id, so the plan reads the head of it, not every company.
-- depends: 1450_company_eligibility_one_trigger_function
SET LOCAL search_path = pg_catalog, pg_temp;

-- Exactly the plan's ORDER BY. A write keeps its HOT update unless it moves
-- the score: only the BIT refresh's copy does, for the scores that changed.
CREATE INDEX company_eligibility_plan_order_idx
    ON outreach.company_eligibility (bit_score DESC NULLS LAST, company_unique_id);
COMMENT ON INDEX outreach.company_eligibility_plan_order_idx IS
    'The campaign plan''s order (BIT score DESC NULLS LAST, company id): outreach.fn_plan_campaign_sends reads the head of it to bound the companies it plans from.';
