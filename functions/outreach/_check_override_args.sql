-- outreach._check_override_args: the checks set_marketing_override and remove_marketing_override
-- share (docs/reference/gate.md): a non-blank company (OG001), a known override type, a reason and an actor (22023).
CREATE OR REPLACE FUNCTION outreach._check_override_args(p_action text, p_company_unique_id text,
                                                         p_override_type text, p_reason text, p_actor text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF shq.fn_is_blank(p_company_unique_id) THEN
        RAISE EXCEPTION 'company_unique_id must not be NULL or blank'
            USING ERRCODE = 'OG001', HINT = 'Pass the company_unique_id CL issued.';
    END IF;
    -- the override types of outreach.manual_overrides (its CHECK constraint says the same)
    IF p_override_type IS NULL OR p_override_type NOT IN ('BLOCK_OUTREACH', 'BLOCK_EMAIL', 'BLOCK_PHONE', 'FORCE_TIER') THEN
        RAISE EXCEPTION 'unknown override type: %', coalesce(p_override_type, 'NULL')
            USING ERRCODE = '22023', HINT = 'Use BLOCK_OUTREACH, BLOCK_EMAIL, BLOCK_PHONE or FORCE_TIER.';
    END IF;
    PERFORM shq._check_reason_actor(p_action, p_reason, p_actor);
END
$$;
COMMENT ON FUNCTION outreach._check_override_args(text, text, text, text, text) IS
    'Private: OG001 for a blank company, 22023 for an unknown override type or a blank reason or actor, for the kill switch''s functions (docs/reference/gate.md).';
