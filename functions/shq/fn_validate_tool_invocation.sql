-- shq.fn_validate_tool_invocation: the tool canon guard (docs/reference/operations.md).
-- First failing rule wins; every violation is appended to shq.tool_violations.
CREATE OR REPLACE FUNCTION shq.fn_validate_tool_invocation(
    p_tool_id text,
    p_hub_id text,
    p_interaction_type text,
    p_gate_state jsonb DEFAULT '{}',
    p_api_key_present boolean DEFAULT true,
    p_human_approval_ref text DEFAULT NULL)
RETURNS TABLE (is_valid boolean, violation_code text, severity text, disposition text, message text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tool shq.tool_registry%ROWTYPE;
    v_gate jsonb := CASE WHEN pg_catalog.jsonb_typeof(p_gate_state) = 'object' THEN p_gate_state
                         ELSE '{}'::jsonb END;
    v_code text;
    v_severity text;
    v_disposition text;
    v_message text;
    v_keys text;
BEGIN
    SELECT * INTO v_tool FROM shq.tool_registry t WHERE t.tool_id = p_tool_id;

    IF NOT FOUND THEN
        v_code := 'V-TOOL-001'; v_severity := 'CRITICAL'; v_disposition := 'PARK';
        v_message := format('tool %s is not in shq.tool_registry', coalesce(quote_literal(p_tool_id), 'NULL'));
    ELSIF v_tool.is_banned THEN
        v_code := 'V-TOOL-002'; v_severity := 'CRITICAL'; v_disposition := 'PARK';
        v_message := format('tool %s (%s, vendor %s) is banned', v_tool.tool_id, v_tool.tool_name, v_tool.vendor);
    ELSIF p_hub_id IS NULL OR NOT (p_hub_id = ANY (v_tool.allowed_hubs)) THEN
        v_code := 'V-SCOPE-001'; v_severity := 'CRITICAL'; v_disposition := 'PARK';
        v_message := format('hub %s may not use tool %s (allowed hubs: %s)',
                            coalesce(quote_literal(p_hub_id), 'NULL'), v_tool.tool_id,
                            array_to_string(v_tool.allowed_hubs, ', '));
    ELSIF p_interaction_type IS NULL OR NOT (p_interaction_type = ANY (v_tool.allowed_interactions)) THEN
        v_code := 'V-TYPE-001'; v_severity := 'HIGH'; v_disposition := 'PARK';
        v_message := format('interaction %s is not allowed for tool %s (allowed: %s)',
                            coalesce(quote_literal(p_interaction_type), 'NULL'), v_tool.tool_id,
                            array_to_string(v_tool.allowed_interactions, ', '));
    ELSIF v_tool.requires_api_key AND p_api_key_present IS NOT TRUE THEN
        v_code := 'V-TOOL-003'; v_severity := 'HIGH'; v_disposition := 'RETRY';
        v_message := format('tool %s requires an API key and none is present', v_tool.tool_id);
    ELSE
        -- every required key must be present with an equal value (extra keys are fine)
        SELECT string_agg(format('%s=%s (got %s)', r.key, r.value, coalesce((v_gate -> r.key)::text, 'absent')),
                          ', ' ORDER BY r.key)
          INTO v_keys
          FROM jsonb_each(v_tool.required_gate_state) AS r
         WHERE (v_gate -> r.key) IS DISTINCT FROM r.value;
        IF v_keys IS NOT NULL THEN
            v_code := 'V-GATE-001'; v_severity := 'CRITICAL'; v_disposition := 'RETRY';
            v_message := format('gate conditions of tool %s not met: %s', v_tool.tool_id, v_keys);
        ELSIF v_tool.requires_human_approval AND shq.fn_is_blank(p_human_approval_ref) THEN
            v_code := 'V-GATE-002'; v_severity := 'CRITICAL'; v_disposition := 'PARK';
            v_message := format('tool %s requires a human approval reference and none was given', v_tool.tool_id);
        END IF;
    END IF;

    IF v_code IS NULL THEN
        RETURN QUERY SELECT true, NULL::text, NULL::text, NULL::text,
            format('tool %s may be used by hub %s for %s', v_tool.tool_id, p_hub_id, p_interaction_type);
        RETURN;
    END IF;

    INSERT INTO shq.tool_violations
           (tool_id, hub_id, interaction_type, violation_code, severity, disposition, message,
            gate_state, human_approval_ref)
    VALUES (p_tool_id, p_hub_id, p_interaction_type, v_code, v_severity, v_disposition, v_message,
            p_gate_state, p_human_approval_ref);

    RETURN QUERY SELECT false, v_code, v_severity, v_disposition, v_message;
END
$$;
COMMENT ON FUNCTION shq.fn_validate_tool_invocation(text, text, text, jsonb, boolean, text) IS
    'Tool canon guard: V-TOOL-001 unregistered, V-TOOL-002 banned, V-SCOPE-001 hub, V-TYPE-001 interaction, V-TOOL-003 API key, V-GATE-001 gate state, V-GATE-002 approval (first failing rule); every violation is appended to shq.tool_violations (docs/reference/operations.md).';
GRANT EXECUTE ON FUNCTION shq.fn_validate_tool_invocation(text, text, text, jsonb, boolean, text)
    TO outreach_governor;
