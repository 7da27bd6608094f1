-- outreach._rewrite_company_eligibility_tiers(): after the hub totals changed (a write of
-- outreach.hub_registry), writes the stored tier of every maintained row whose tier the rule now
-- gives differently, in the same transaction (docs/maintained-eligibility.md). The tier is a function
-- of the row's own columns and the totals, so nothing else is read.
CREATE OR REPLACE FUNCTION outreach._rewrite_company_eligibility_tiers()
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_prev_sanction text;
    v_changed integer;
BEGIN
    v_prev_sanction := shq.fn_sanction_add('outreach.company_eligibility');
    UPDATE outreach.company_eligibility e
       SET computed_tier = outreach._eligibility_tier(e.eligibility_status, e.required_failed, e.required_passed,
                                                      e.optional_passed, e.has_campaign_ready_person)
     WHERE e.computed_tier IS DISTINCT FROM
           outreach._eligibility_tier(e.eligibility_status, e.required_failed, e.required_passed,
                                      e.optional_passed, e.has_campaign_ready_person);
    GET DIAGNOSTICS v_changed = ROW_COUNT;
    v_prev_sanction := shq.fn_sanction(v_prev_sanction);  -- put back
    RETURN v_changed;
END
$$;
COMMENT ON FUNCTION outreach._rewrite_company_eligibility_tiers() IS
    'Internal (the hub registry''s statement trigger): writes computed_tier of every row of outreach.company_eligibility whose tier by outreach._eligibility_tier differs (the hub totals changed); returns the rows changed.';
REVOKE ALL ON FUNCTION outreach._rewrite_company_eligibility_tiers() FROM PUBLIC;
