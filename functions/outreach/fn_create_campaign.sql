-- outreach.fn_create_campaign: a campaign and its ordered sequence steps, in
-- one transaction, validated (campaign orchestration).
CREATE OR REPLACE FUNCTION outreach.fn_create_campaign(
    p_campaign_id text,
    p_name text,
    p_channel text,
    p_steps jsonb,
    p_min_tier integer DEFAULT 1,
    p_status text DEFAULT 'draft')
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_bad record;
BEGIN
    IF shq.fn_is_blank(p_campaign_id) THEN
        RAISE EXCEPTION 'campaign_id must not be NULL or blank'
            USING ERRCODE = '22023', HINT = 'Give the campaign a stable id, e.g. CMP-Q3-RENEWALS.';
    END IF;
    IF p_campaign_id <> btrim(p_campaign_id) THEN
        RAISE EXCEPTION 'campaign_id % has leading or trailing whitespace', quote_literal(p_campaign_id)
            USING ERRCODE = '22023', HINT = 'Trim the id.';
    END IF;
    IF shq.fn_is_blank(p_name) THEN
        RAISE EXCEPTION 'campaign % needs a name (got NULL or blank)', p_campaign_id
            USING ERRCODE = '22023', HINT = 'Pass a human-readable name.';
    END IF;
    IF p_channel IS NULL OR p_channel NOT IN ('EMAIL', 'PHONE') THEN
        RAISE EXCEPTION 'invalid channel: %', coalesce(p_channel, 'NULL')
            USING ERRCODE = '22023', HINT = 'Use EMAIL or PHONE.';
    END IF;
    IF p_min_tier IS NULL OR p_min_tier NOT BETWEEN 0 AND 3 THEN
        RAISE EXCEPTION 'invalid min_tier: %', coalesce(p_min_tier::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'min_tier is 0..3 (docs/reference/gate.md).';
    END IF;
    IF p_status IS NULL OR p_status NOT IN ('draft', 'active', 'paused', 'completed') THEN
        RAISE EXCEPTION 'invalid campaign status: %', coalesce(p_status, 'NULL')
            USING ERRCODE = '22023', HINT = 'Use draft, active, paused or completed.';
    END IF;
    IF p_steps IS NULL OR jsonb_typeof(p_steps) <> 'array' OR jsonb_array_length(p_steps) = 0 THEN
        RAISE EXCEPTION 'campaign % needs a non-empty JSON array of steps, got %', p_campaign_id,
                        coalesce(left(p_steps::text, 200), 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'Steps are [{"template_id": "t1", "delay_days": 0}, ...] in send order; step n+1 is due delay_days after step n was sent.';
    END IF;

    -- the first step that is not {"template_id": text|null, "delay_days": integer >= 0}
    SELECT s.n, s.step INTO v_bad
      FROM jsonb_array_elements(p_steps) WITH ORDINALITY AS s(step, n)
     WHERE jsonb_typeof(s.step) <> 'object'
        OR EXISTS (SELECT 1 FROM jsonb_object_keys(s.step) AS k(key) WHERE k.key NOT IN ('template_id', 'delay_days'))
        OR (s.step ? 'template_id' AND jsonb_typeof(s.step -> 'template_id') NOT IN ('string', 'null'))
        OR (s.step ? 'delay_days' AND NOT (jsonb_typeof(s.step -> 'delay_days') = 'number'
                                           AND (s.step ->> 'delay_days') ~ '^[0-9]{1,6}$'))
     ORDER BY s.n
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'campaign %: step % is invalid: %', p_campaign_id, v_bad.n, left(v_bad.step::text, 200)
            USING ERRCODE = '22023',
                  DETAIL = 'A step is an object with only "template_id" (text or null) and "delay_days" (an integer 0..999999, default 0).',
                  HINT = 'Fix that step of the steps array.';
    END IF;

    IF EXISTS (SELECT 1 FROM outreach.campaigns c WHERE c.campaign_id = p_campaign_id) THEN
        RAISE EXCEPTION 'campaign % already exists', p_campaign_id
            USING ERRCODE = '23505', HINT = 'Pick another campaign_id; campaigns are created once.';
    END IF;

    INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status)
    VALUES (p_campaign_id, p_name, p_channel, p_min_tier, p_status);

    INSERT INTO outreach.sequences (campaign_id, step_number, template_id, delay_days)
    SELECT p_campaign_id, s.n::integer, s.step ->> 'template_id', coalesce((s.step ->> 'delay_days')::integer, 0)
      FROM jsonb_array_elements(p_steps) WITH ORDINALITY AS s(step, n);

    RETURN p_campaign_id;
END
$$;
COMMENT ON FUNCTION outreach.fn_create_campaign(text, text, text, jsonb, integer, text) IS
    'Creates a campaign and its steps (a JSON array in send order: {"template_id", "delay_days"}; step n+1 is due delay_days after step n was sent) in one transaction. Bad input 22023, an existing campaign_id 23505; nothing is written on error (docs/reference/gate.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_create_campaign(text, text, text, jsonb, integer, text) TO outreach_governor;
