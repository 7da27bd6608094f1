-- shq.fn_can_promote_to_hub: may the hub be set to PASS for this outreach_id?
-- Its DONE check holds, it has no blocking errors, its prerequisites are PASS (docs/reference/hubs.md).
CREATE OR REPLACE FUNCTION shq.fn_can_promote_to_hub(p_outreach_id uuid, p_target_hub text)
RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_company text;
    v_ok boolean;
BEGIN
    IF p_target_hub IS NULL OR NOT EXISTS (SELECT 1 FROM outreach.hub_registry hr WHERE hr.hub_id = p_target_hub) THEN
        RAISE EXCEPTION 'unknown hub_id: %', coalesce(p_target_hub, 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'Use a hub_id of outreach.hub_registry: '
                         || (SELECT string_agg(hr.hub_id, ', ' ORDER BY hr.display_order) FROM outreach.hub_registry hr) || '.';
    END IF;
    SELECT o.company_unique_id INTO v_company FROM outreach.outreach o WHERE o.outreach_id = p_outreach_id;
    IF NOT FOUND THEN
        RETURN false;   -- unknown (or NULL) outreach_id
    END IF;
    -- the gate holds iff shq._promotion_blockers has no row for the hub; both
    -- ids given so every part of the gate is an index lookup
    SELECT g.done AND g.blocking_errors = 0 AND g.prerequisites_passed INTO v_ok
      FROM shq._hub_gates g
     WHERE g.outreach_id = p_outreach_id AND g.company_unique_id = v_company AND g.hub_id = p_target_hub;
    RETURN coalesce(v_ok, false);
END
$$;
COMMENT ON FUNCTION shq.fn_can_promote_to_hub(uuid, text) IS
    'True when the hub''s DONE check holds, it has no blocking (RETRY/PARKED) errors and its prerequisite hubs (hub_registry) are PASS; false for an unknown outreach_id; 22023 for an unknown hub (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION shq.fn_can_promote_to_hub(uuid, text) TO outreach_governor;
