-- outreach.fn_plan_campaign_sends: who a campaign should contact next, and the
-- sequence step due for each (campaign orchestration, docs/reference/gate.md).
CREATE OR REPLACE FUNCTION outreach.fn_plan_campaign_sends(
    p_campaign_id text,
    p_limit integer DEFAULT 100,
    p_as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE(company_unique_id text, outreach_id uuid, target_id text, sequence_id bigint,
              step_number integer, bit_score numeric, effective_tier integer)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_channel text;
    v_min_tier integer;
    v_status text;
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
    IF NOT EXISTS (SELECT 1 FROM outreach.sequences s WHERE s.campaign_id = p_campaign_id) THEN
        RAISE NOTICE 'campaign % has no sequence steps: nothing to plan', p_campaign_id
            USING HINT = 'Add its steps to outreach.sequences.';
        RETURN;
    END IF;

    RETURN QUERY
    WITH steps AS (
        -- each step with the step before it (0 before the first): the step
        -- due after `prev_step` is the one whose prev_step it is
        SELECT s.sequence_id, s.step_number, s.delay_days,
               coalesce(lag(s.step_number) OVER (ORDER BY s.step_number), 0) AS prev_step
          FROM outreach.sequences s
         WHERE s.campaign_id = p_campaign_id
    ),
    last_sent AS (
        -- ONE pass over the campaign's sends: the highest step each company
        -- got, and when it last got it. Sends without a step (sequence_id
        -- NULL) and sends after p_as_of do not count.
        SELECT DISTINCT ON (sl.outreach_id)
               sl.outreach_id, st.step_number AS last_step, sl.sent_at AS last_sent_at
          FROM outreach.send_log sl
          JOIN steps st ON st.sequence_id = sl.sequence_id
         WHERE sl.campaign_id = p_campaign_id
           AND sl.sent_at <= p_as_of
         ORDER BY sl.outreach_id, st.step_number DESC, sl.sent_at DESC
    ),
    planned AS (
        -- the authoritative view only; NULL flags count as blocked (fail closed).
        -- OFFSET 0 keeps the view planned as for a full scan (merge joins in
        -- company order): pushed down into it, these filters make the planner
        -- pick per-company nested loops over a million rows.
        SELECT e.company_unique_id, e.outreach_id, st.sequence_id, st.step_number, e.bit_score, e.effective_tier
          FROM (SELECT * FROM outreach.vw_marketing_eligibility_with_overrides OFFSET 0) e
          LEFT JOIN last_sent ls ON ls.outreach_id = e.outreach_id
          JOIN steps st ON st.prev_step = coalesce(ls.last_step, 0)
         WHERE e.effective_tier >= v_min_tier
           AND e.eligibility_status = 'ELIGIBLE'
           AND e.outreach_status IN ('queued', 'active')
           AND e.marketing_disabled IS FALSE
           AND (CASE v_channel WHEN 'EMAIL' THEN e.email_blocked ELSE e.phone_blocked END) IS FALSE
           AND (ls.outreach_id IS NULL OR ls.last_sent_at + make_interval(days => st.delay_days) <= p_as_of)
         ORDER BY e.bit_score DESC NULLS LAST, e.company_unique_id
         LIMIT p_limit
    )
    -- the target_id only for the planned rows (index lookups), not for every company
    SELECT p.company_unique_id, p.outreach_id, t.target_id, p.sequence_id, p.step_number, p.bit_score,
           p.effective_tier
      FROM planned p
      JOIN outreach.company_target t ON t.outreach_id = p.outreach_id
     ORDER BY p.bit_score DESC NULLS LAST, p.company_unique_id;
END
$$;
COMMENT ON FUNCTION outreach.fn_plan_campaign_sends(text, integer, timestamptz) IS
    'The companies an active campaign should contact next and the step due for each: effective_tier >= min_tier, ELIGIBLE, not blocked on the campaign''s channel, outreach_status queued/active, step 1 if never sent, else the next step once delay_days (of that next step) have passed since the previous step was sent; BIT score DESC NULLS LAST, then company id. Reads the authoritative view, writes nothing. Unknown/inactive/stepless campaign: empty, with a NOTICE; p_limit < 1: 22023 (docs/reference/gate.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_plan_campaign_sends(text, integer, timestamptz)
    TO outreach_sender, outreach_governor;
