-- outreach.fn_plan_campaign_sends: who a campaign should contact next, and the
-- sequence step due for each (campaign orchestration, docs/reference/gate.md).
-- work_mem: the one sort of the campaign's sends (DISTINCT ON, a row per send)
-- stays in memory up to a few hundred thousand sends instead of spilling to disk.
CREATE OR REPLACE FUNCTION outreach.fn_plan_campaign_sends(
    p_campaign_id text,
    p_limit integer DEFAULT 100,
    p_as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE(company_unique_id text, outreach_id uuid, target_id text, sequence_id bigint,
              step_number integer, bit_score numeric, effective_tier integer)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp SET jit = off SET work_mem = '32MB'
AS $$
DECLARE
    v_channel text;
    v_min_tier integer;
    v_status text;
    v_first_sequence_id outreach.sequences.sequence_id%TYPE;
    v_first_step outreach.sequences.step_number%TYPE;
BEGIN
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'p_limit must be at least 1, got %', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Ask for at least one planned send.';
    END IF;
    IF p_as_of IS NULL THEN
        RAISE EXCEPTION 'p_as_of must not be NULL'
            USING ERRCODE = '22023', HINT = 'Leave it out to plan as of now().';
    END IF;

    -- Bad campaigns plan nothing; the NOTICE says why (the gate would refuse
    -- every send of them anyway).
    SELECT c.channel, c.min_tier, c.status INTO v_channel, v_min_tier, v_status
      FROM outreach.campaigns c
     WHERE c.campaign_id = p_campaign_id;
    IF NOT FOUND THEN
        RAISE NOTICE 'campaign % is unknown: nothing to plan', coalesce(quote_literal(p_campaign_id), 'NULL')
            USING HINT = 'Create it first (outreach.fn_create_campaign or pyctl campaign create).';
        RETURN;
    END IF;
    IF v_status <> 'active' THEN
        RAISE NOTICE 'campaign % is %, not active: nothing to plan', p_campaign_id, v_status
            USING HINT = 'Only active campaigns send; the safety gate refuses the others (CAMPAIGN_NOT_ACTIVE).';
        RETURN;
    END IF;
    -- the step of a company never sent one
    SELECT s.sequence_id, s.step_number INTO v_first_sequence_id, v_first_step
      FROM outreach.sequences s
     WHERE s.campaign_id = p_campaign_id
     ORDER BY s.step_number
     LIMIT 1;
    IF NOT FOUND THEN
        RAISE NOTICE 'campaign % has no sequence steps: nothing to plan', p_campaign_id
            USING HINT = 'Add its steps to outreach.sequences.';
        RETURN;
    END IF;

    -- The plan is the head of the authoritative view in (BIT score DESC
    -- NULLS LAST, company id) order, after the filters of `candidates`
    -- below. Rather than filter and sort every company, it bounds the
    -- scores it must read: the head of the maintained
    -- rows in that order (company_eligibility_plan_order_idx, read through
    -- outreach.vw_marketing_eligibility, over the tier rule's one home) that pass
    -- the filters the maintained row decides alone, skipping the companies
    -- whose sequence is not due (known from `sent`). Of those, overrides can
    -- only drop some: an eighth more than p_limit covers them. The
    -- view's rows scoring at least the bound then hold the whole plan when
    -- p_limit of them pass (a company below it ranks after every one of
    -- them); otherwise (too few scored companies, or overrides dropping more
    -- than that eighth) the same candidates are read over every company.
    RETURN QUERY
    WITH steps AS (
        -- each step of the campaign with the one after it (NULL after the last)
        SELECT s.sequence_id, s.step_number,
               lead(s.sequence_id) OVER w AS next_sequence_id,
               lead(s.step_number) OVER w AS next_step,
               lead(s.delay_days) OVER w AS next_delay_days
          FROM outreach.sequences s
         WHERE s.campaign_id = p_campaign_id
        WINDOW w AS (ORDER BY s.step_number)
    ),
    sent AS MATERIALIZED (
        -- ONE pass over the campaign's sends: for each company that got a
        -- step, the highest one and when it last got it, hence the step due
        -- next and from when (both NULL after the last step). Sends without a
        -- step (sequence_id NULL) and sends after p_as_of do not count.
        SELECT DISTINCT ON (sl.outreach_id)
               sl.outreach_id, st.next_sequence_id, st.next_step,
               sl.sent_at + make_interval(days => st.next_delay_days) AS due_at
          FROM outreach.send_log sl
          JOIN steps st ON st.sequence_id = sl.sequence_id
         WHERE sl.campaign_id = p_campaign_id
           AND sl.sent_at <= p_as_of
         ORDER BY sl.outreach_id, st.step_number DESC, sl.sent_at DESC
    ),
    bound AS (
        -- the score the plan cannot go below when p_limit companies pass.
        -- The companies whose sequence is not due are skipped by a hash probe
        -- (NOT IN on a NOT NULL column: a hashed subplan, so the walk keeps
        -- the index order; hashed while they fit in hash_mem, over a million
        -- at this work_mem), not counted: the walk then stops near p_limit
        -- instead of going past as many companies as the campaign has not due
        SELECT m.bit_score
          FROM outreach.vw_marketing_eligibility m
         WHERE m.bit_score IS NOT NULL
           AND m.computed_tier >= v_min_tier
           AND m.eligibility_status = 'ELIGIBLE'
           AND m.outreach_status IN ('queued', 'active')
           AND m.outreach_id NOT IN (SELECT x.outreach_id FROM sent x WHERE x.due_at IS NULL OR x.due_at > p_as_of)
         ORDER BY m.bit_score DESC NULLS LAST, m.company_unique_id
        OFFSET p_limit::bigint * 9 / 8
         LIMIT 1
    ),
    candidates AS NOT MATERIALIZED (
        -- the authoritative view only; NULL flags count as blocked (fail
        -- closed). NOT MATERIALIZED: each use below is planned with its own
        -- bound, the head's reaching the view's scan as an index range.
        SELECT e.company_unique_id, e.outreach_id, coalesce(d.next_sequence_id, v_first_sequence_id) AS sequence_id,
               coalesce(d.next_step, v_first_step) AS step_number, e.bit_score, e.effective_tier
          FROM outreach.vw_marketing_eligibility_with_overrides e
          LEFT JOIN sent d ON d.outreach_id = e.outreach_id
         WHERE e.effective_tier >= v_min_tier
           AND e.eligibility_status = 'ELIGIBLE'
           AND e.outreach_status IN ('queued', 'active')
           AND e.marketing_disabled IS FALSE
           AND (CASE v_channel WHEN 'EMAIL' THEN e.email_blocked ELSE e.phone_blocked END) IS FALSE
           AND (d.outreach_id IS NULL OR d.due_at <= p_as_of)
    ),
    planned_head AS MATERIALIZED (
        SELECT * FROM candidates c
         WHERE c.bit_score >= (SELECT b.bit_score FROM bound b)
         ORDER BY c.bit_score DESC NULLS LAST, c.company_unique_id
         LIMIT p_limit
    ),
    planned_all AS (
        SELECT * FROM candidates c ORDER BY c.bit_score DESC NULLS LAST, c.company_unique_id LIMIT p_limit
    ),
    planned AS (
        -- one of the two: planned_all runs only when the head fell short
        SELECT * FROM planned_head WHERE (SELECT count(*) FROM planned_head) = p_limit
        UNION ALL
        SELECT * FROM planned_all WHERE (SELECT count(*) FROM planned_head) < p_limit
    )
    -- the target_id only for the planned rows (one index probe each), not for every company
    SELECT p.company_unique_id, p.outreach_id, t.target_id, p.sequence_id, p.step_number, p.bit_score,
           p.effective_tier
      FROM planned p
      JOIN LATERAL (SELECT t.target_id FROM outreach.company_target t WHERE t.outreach_id = p.outreach_id LIMIT 1) t ON true
     ORDER BY p.bit_score DESC NULLS LAST, p.company_unique_id;
END
$$;
COMMENT ON FUNCTION outreach.fn_plan_campaign_sends(text, integer, timestamptz) IS
    'The companies an active campaign should contact next and the step due for each: effective_tier >= min_tier, ELIGIBLE, not blocked on the campaign''s channel, outreach_status queued/active, step 1 if never sent, else the next step once delay_days (of that next step) have passed since the previous step was sent; BIT score DESC NULLS LAST, then company id. Reads the authoritative view, writes nothing. Unknown/inactive/stepless campaign: empty, with a NOTICE; p_limit < 1: 22023 (docs/reference/gate.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_plan_campaign_sends(text, integer, timestamptz)
    TO outreach_sender, outreach_governor;
