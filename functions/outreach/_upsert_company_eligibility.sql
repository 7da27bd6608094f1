-- outreach._upsert_company_eligibility: private; makes the maintained eligibility rows of the listed
-- companies, or of a range of them, equal to the from-scratch ones (the one home of the upsert's column list).
CREATE OR REPLACE FUNCTION outreach._upsert_company_eligibility(p_company_unique_ids text[], p_from text, p_to text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_changed integer;
BEGIN
    -- the source is a function scan, so this plan stays small: a plan that
    -- holds the view's joins for the range next to the list's lookups costs
    -- its executor start-up on every one-company call of the list path
    INSERT INTO outreach.company_eligibility AS e
    SELECT s.* FROM outreach._company_eligibility_from_scratch_of(p_company_unique_ids, p_from, p_to) s
    ON CONFLICT (company_unique_id) DO UPDATE
       SET outreach_id = excluded.outreach_id, eligibility_status = excluded.eligibility_status,
           outreach_status = excluded.outreach_status, required_passed = excluded.required_passed,
           optional_passed = excluded.optional_passed, required_failed = excluded.required_failed,
           has_campaign_ready_person = excluded.has_campaign_ready_person,
           bit_score = excluded.bit_score, score_tier = excluded.score_tier,
           override_block_outreach_until = excluded.override_block_outreach_until,
           override_block_email_until = excluded.override_block_email_until,
           override_block_phone_until = excluded.override_block_phone_until,
           override_force_tier_until = excluded.override_force_tier_until,
           override_force_tier_cap = excluded.override_force_tier_cap,
           computed_tier = excluded.computed_tier
     WHERE e IS DISTINCT FROM excluded;
    GET DIAGNOSTICS v_changed = ROW_COUNT;
    RETURN v_changed;
END
$$;
COMMENT ON FUNCTION outreach._upsert_company_eligibility(text[], text, text) IS
    'Internal: inserts or updates (only where they differ) the maintained eligibility rows of the listed companies, or, for a NULL list, of p_from <= company_unique_id < p_to (NULL bounds open), from the from-scratch rows (outreach._company_eligibility_from_scratch_of); returns the rows changed. Deletes nothing. Called only by fn_rebuild_company_eligibility and fn_rebuild_company_eligibility_range, which lock the rows and sanction the write first.';
