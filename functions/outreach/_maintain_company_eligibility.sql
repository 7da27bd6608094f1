-- outreach._maintain_company_eligibility: after a write to one input table, bring the maintained
-- eligibility rows of the given companies up to date: only the columns that table feeds (docs/maintained-eligibility.md).
CREATE OR REPLACE FUNCTION outreach._maintain_company_eligibility(p_company_unique_ids text[], p_input regclass)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
-- planned once per session (see fn_rebuild_company_eligibility)
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_prev_sanction text;
    v_changed integer := 0;
BEGIN
    IF p_company_unique_ids IS NULL OR cardinality(p_company_unique_ids) = 0 THEN
        RETURN 0;
    END IF;
    IF p_input IS NULL OR p_input NOT IN ('outreach.company_hub_status'::regclass, 'people.company_slot'::regclass,
                                          'people.people_master'::regclass, 'cl.company_identity'::regclass,
                                          'outreach.company_target'::regclass, 'outreach.bit_scores'::regclass) THEN
        -- the spine (a company arrives or leaves), or anything else: whole rows
        RETURN outreach.fn_rebuild_company_eligibility(p_company_unique_ids);
    END IF;
    -- Lock first, read after: see fn_rebuild_company_eligibility. The columns
    -- come from the from-scratch view itself (its one definition of each),
    -- selected so that the planner drops the joins they do not need.
    -- Except for one company of a table that holds one row per company (CL,
    -- the Company Target): a writer of that column of that company holds the
    -- input row's own lock until it commits, so the next one reads after it
    -- anyway; the UPDATE below writes only this table's columns (and the
    -- tier, from the other inputs of that same version), on the newest
    -- version of the row; and with one row there is no lock order to
    -- keep. A single-row write saves a statement.
    IF NOT (cardinality(p_company_unique_ids) = 1
            AND p_input IN ('cl.company_identity'::regclass, 'outreach.company_target'::regclass)) THEN
        PERFORM 1 FROM outreach.company_eligibility e
          WHERE e.company_unique_id = ANY (p_company_unique_ids)
          ORDER BY e.company_unique_id
            FOR NO KEY UPDATE;
        IF NOT FOUND THEN
            -- none of them has a row yet (CL and the Company Target are written
            -- before the spine row that creates it): the UPDATE below could change
            -- nothing, so skip it and the sanction around it
            RETURN 0;
        END IF;
    END IF;
    v_prev_sanction := shq.fn_sanction_add('outreach.company_eligibility');
    IF p_input = 'outreach.company_hub_status'::regclass THEN
        -- The view's hub columns are outreach._hub_rollup's counts of the
        -- company (a LEFT JOIN on company_unique_id, which the rollup groups
        -- by), 0 without hub rows, and a maintained row is a spine company
        -- of the view: read the rollup straight, as the view computes them,
        -- without the view's spine join around it. The aggregate over the
        -- company's one rollup row (or none) gives the columns of a company
        -- without hub rows (an UPDATE's FROM keeps no row without a match).
        UPDATE outreach.company_eligibility e
           SET required_passed = s.required_passed, optional_passed = s.optional_passed,
               required_failed = s.required_failed,
               -- the stored tier, by the rule over the new counts and the row's other inputs
               computed_tier = outreach._eligibility_tier(e.eligibility_status, s.required_failed, s.required_passed,
                                                          s.optional_passed, e.has_campaign_ready_person)
          FROM unnest(p_company_unique_ids) AS u(id)
         CROSS JOIN LATERAL (SELECT coalesce(max(r.passed - r.optional_passed), 0)::integer AS required_passed,
                                    coalesce(max(r.optional_passed), 0)::integer AS optional_passed,
                                    coalesce(max(r.required_bad), 0)::integer AS required_failed
                               FROM outreach._hub_rollup r
                              WHERE r.company_unique_id = u.id) s
         WHERE e.company_unique_id = u.id
           AND (e.required_passed, e.optional_passed, e.required_failed)
               IS DISTINCT FROM (s.required_passed, s.optional_passed, s.required_failed);
    ELSIF p_input IN ('people.company_slot'::regclass, 'people.people_master'::regclass) THEN
        UPDATE outreach.company_eligibility e
           SET has_campaign_ready_person = s.has_campaign_ready_person,
               computed_tier = outreach._eligibility_tier(e.eligibility_status, e.required_failed, e.required_passed,
                                                          e.optional_passed, s.has_campaign_ready_person)
          FROM unnest(p_company_unique_ids) AS u(id)
         CROSS JOIN LATERAL (SELECT v.has_campaign_ready_person FROM outreach._company_eligibility_from_scratch v
                              WHERE v.company_unique_id = u.id OFFSET 0) s
         WHERE e.company_unique_id = u.id
           AND e.has_campaign_ready_person IS DISTINCT FROM s.has_campaign_ready_person;
    ELSIF p_input = 'cl.company_identity'::regclass THEN
        UPDATE outreach.company_eligibility e
           SET eligibility_status = s.eligibility_status,
               computed_tier = outreach._eligibility_tier(s.eligibility_status, e.required_failed, e.required_passed,
                                                          e.optional_passed, e.has_campaign_ready_person)
          FROM unnest(p_company_unique_ids) AS u(id)
         CROSS JOIN LATERAL (SELECT v.eligibility_status FROM outreach._company_eligibility_from_scratch v
                              WHERE v.company_unique_id = u.id OFFSET 0) s
         WHERE e.company_unique_id = u.id
           AND e.eligibility_status IS DISTINCT FROM s.eligibility_status;
    ELSIF p_input = 'outreach.company_target'::regclass THEN
        -- The view's outreach_status is the company's Company Target's own
        -- column (a LEFT JOIN on company_unique_id, unique in company_target,
        -- NULL without one), and a maintained row is a spine company of the
        -- view: read that column straight, as the target's INSERT trigger
        -- copies it, rather than the view's spine and CL joins around it.
        UPDATE outreach.company_eligibility e
           SET outreach_status = s.outreach_status
          FROM unnest(p_company_unique_ids) AS u(id)
         CROSS JOIN LATERAL (SELECT (SELECT ct.outreach_status FROM outreach.company_target ct
                                      WHERE ct.company_unique_id = u.id) AS outreach_status) s
         WHERE e.company_unique_id = u.id
           AND e.outreach_status IS DISTINCT FROM s.outreach_status;
    ELSE  -- outreach.bit_scores (a row inserted or deleted; an UPDATE copies, see its trigger)
        UPDATE outreach.company_eligibility e
           SET bit_score = s.bit_score, score_tier = s.score_tier
          FROM unnest(p_company_unique_ids) AS u(id)
         CROSS JOIN LATERAL (SELECT v.bit_score, v.score_tier FROM outreach._company_eligibility_from_scratch v
                              WHERE v.company_unique_id = u.id OFFSET 0) s
         WHERE e.company_unique_id = u.id
           AND (e.bit_score, e.score_tier) IS DISTINCT FROM (s.bit_score, s.score_tier);
    END IF;
    GET DIAGNOSTICS v_changed = ROW_COUNT;
    v_prev_sanction := shq.fn_sanction(v_prev_sanction);  -- put back
    RETURN v_changed;
END
$$;
COMMENT ON FUNCTION outreach._maintain_company_eligibility(text[], regclass) IS
    'Internal (the input tables'' triggers): after a statement on p_input, locks the maintained eligibility rows of the listed companies (not for a single company of a table with one row per company, CL or the Company Target, whose own row lock orders its writers), then sets the columns that table feeds from outreach._company_eligibility_from_scratch (and computed_tier by outreach._eligibility_tier when they are inputs of the tier) (the Company Target''s outreach_status from its own column and the hub counts from outreach._hub_rollup, which is how the view defines them; a spine write or an unknown table: whole rows, by outreach.fn_rebuild_company_eligibility; the spine insert of companies that have no maintained row yet is inserted by the trigger itself); returns the rows changed.';
