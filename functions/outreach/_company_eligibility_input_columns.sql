-- outreach._company_eligibility_input_columns: the columns of an input table that the maintained eligibility
-- row depends on (docs/maintained-eligibility.md); an UPDATE that changes none of them needs no maintenance.
CREATE OR REPLACE FUNCTION outreach._company_eligibility_input_columns(p_input regclass)
RETURNS text[]
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
-- The columns outreach._company_eligibility_from_scratch reads, besides
-- company_unique_id (always compared). tests/test_eligibility_maintained.py
-- checks this list against the view's recorded column dependencies, so a
-- change of the view that reads a new column fails until it is listed here.
-- NULL for any other table: every updated company is maintained.
BEGIN
    RETURN CASE p_input
        WHEN 'outreach.outreach'::regclass          THEN ARRAY['outreach_id']
        WHEN 'cl.company_identity'::regclass        THEN ARRAY['eligibility_status']
        WHEN 'outreach.company_target'::regclass    THEN ARRAY['outreach_status']
        WHEN 'outreach.company_hub_status'::regclass THEN ARRAY['hub_id', 'status']
        WHEN 'people.company_slot'::regclass        THEN ARRAY['slot_id', 'outreach_id', 'is_filled']
        WHEN 'people.people_master'::regclass       THEN ARRAY['slot_id', 'outreach_id', 'email_verified']
        WHEN 'outreach.bit_scores'::regclass        THEN ARRAY['outreach_id', 'score', 'score_tier']
    END;
END
$$;
COMMENT ON FUNCTION outreach._company_eligibility_input_columns(regclass) IS
    'Internal: the columns of an input table of outreach.company_eligibility that outreach._company_eligibility_from_scratch reads (company_unique_id aside); NULL for any other table. The UPDATE trigger maintains only the companies whose values of these columns changed.';
