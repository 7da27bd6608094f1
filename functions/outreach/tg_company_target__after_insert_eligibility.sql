-- outreach.tg_company_target__after_insert_eligibility(): copies a new Company Target's outreach_status into
-- outreach.company_eligibility (docs/maintained-eligibility.md), one statement per insert.
CREATE OR REPLACE FUNCTION outreach.tg_company_target__after_insert_eligibility()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_prev_sanction text;
BEGIN
    -- The from-scratch view's outreach_status is the company's Company Target's
    -- own column (a LEFT JOIN on company_unique_id, unique in company_target):
    -- copy it from the inserted rows rather than read the view again (the
    -- Company Target created at registration). Safe: each inserted row stays
    -- locked by this transaction until it commits, and the UPDATE below takes
    -- the eligibility row's lock and writes only this column of its newest
    -- version. Complete: an insert takes no target from another company, and a
    -- company whose maintained row does not exist yet gets it from the spine.
    v_prev_sanction := shq.fn_sanction_add('outreach.company_eligibility');
    UPDATE outreach.company_eligibility e
       SET outreach_status = n.outreach_status
      FROM new_rows n
     WHERE e.company_unique_id = n.company_unique_id
       AND e.outreach_status IS DISTINCT FROM n.outreach_status;
    v_prev_sanction := shq.fn_sanction(v_prev_sanction);  -- put back
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_target__after_insert_eligibility() IS
    'Trigger (statement-level AFTER INSERT on outreach.company_target, transition table new_rows): copies each new target''s outreach_status into outreach.company_eligibility, in one statement.';
