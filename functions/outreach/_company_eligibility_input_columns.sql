-- outreach._company_eligibility_input_columns: the columns of an input table that the maintained eligibility
-- row depends on (docs/maintained-eligibility.md); an UPDATE that changes none of them needs no maintenance.
CREATE OR REPLACE FUNCTION outreach._company_eligibility_input_columns(p_input regclass)
RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    -- NULL for any other table: every updated company is maintained.
    SELECT i.read_columns FROM outreach._company_eligibility_inputs() AS i WHERE i.input = p_input;
$$;
COMMENT ON FUNCTION outreach._company_eligibility_input_columns(regclass) IS
    'Internal: the columns of an input table of outreach.company_eligibility that outreach._company_eligibility_from_scratch reads (company_unique_id aside), from outreach._company_eligibility_inputs(); NULL for any other table. The UPDATE trigger maintains only the companies whose values of these columns changed.';
