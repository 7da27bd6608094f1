-- outreach._company_eligibility_inputs: the input tables of the maintained eligibility row, the one list
-- (docs/maintained-eligibility.md): the columns each feeds, and which of its events carry a trigger.
CREATE OR REPLACE FUNCTION outreach._company_eligibility_inputs()
RETURNS TABLE (input regclass, read_columns text[], on_insert boolean, truncatable boolean)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    -- read_columns: what outreach._company_eligibility_from_scratch reads,
    -- besides company_unique_id (tests/test_eligibility_maintained.py checks
    -- them against the view's recorded column dependencies). on_insert is
    -- false for CL: a company new to CL has no spine row yet, so no maintained
    -- row to keep (the spine's foreign key to CL is not deferrable).
    -- truncatable: on the other tables the guards refuse a TRUNCATE.
    SELECT v.input, v.read_columns, v.on_insert, v.truncatable
      FROM (VALUES ('outreach.outreach'::regclass,           ARRAY['outreach_id'],                              true,  true),
                   ('cl.company_identity'::regclass,         ARRAY['eligibility_status'],                       false, false),
                   ('outreach.company_target'::regclass,     ARRAY['outreach_status'],                          true,  true),
                   ('outreach.company_hub_status'::regclass, ARRAY['hub_id', 'status'],                         true,  false),
                   ('people.company_slot'::regclass,         ARRAY['slot_id', 'outreach_id', 'is_filled'],      true,  true),
                   ('people.people_master'::regclass,        ARRAY['slot_id', 'outreach_id', 'email_verified'], true,  true),
                   ('outreach.bit_scores'::regclass,         ARRAY['outreach_id', 'score', 'score_tier'],       true,  false))
           AS v (input, read_columns, on_insert, truncatable);
$$;
COMMENT ON FUNCTION outreach._company_eligibility_inputs() IS
    'Internal: the seven input tables of outreach.company_eligibility, the one list, read by the trigger installer (which writes each table''s columns into its UPDATE trigger''s arguments): the columns outreach._company_eligibility_from_scratch reads from each (company_unique_id aside), whether an INSERT can concern a maintained row (not on CL) and whether the table may be truncated.';
