-- shq.fn_check_people_done: People Intelligence is DONE when at least
-- p_min_slots people.company_slot rows are filled (docs/reference/hubs.md). Never raises.
CREATE OR REPLACE FUNCTION shq.fn_check_people_done(p_outreach_id uuid, p_min_slots integer DEFAULT 1)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    -- a NULL p_min_slots means the default, 1
    SELECT coalesce((SELECT d.filled_slots >= coalesce(p_min_slots, 1)
                       FROM shq._done_states d WHERE d.outreach_id = p_outreach_id), false);
$$;
COMMENT ON FUNCTION shq.fn_check_people_done(uuid, integer) IS
    'DONE checker: filled people.company_slot rows >= p_min_slots (default 1; NULL means 1); false for an unknown id (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION shq.fn_check_people_done(uuid, integer) TO outreach_governor;
