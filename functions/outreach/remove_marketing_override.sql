-- outreach.remove_marketing_override: the kill switch's sanctioned remover (docs/reference/gate.md):
-- marks the company's active override of a type removed, audited in the same transaction.
CREATE OR REPLACE FUNCTION outreach.remove_marketing_override(
    p_company_unique_id text,
    p_override_type text,
    p_reason text,
    p_actor text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now     timestamptz;
    v_removed integer;
BEGIN
    PERFORM outreach._check_override_args('removing an override', p_company_unique_id, p_override_type, p_reason, p_actor);
    PERFORM outreach._check_override_company(p_company_unique_id);

    -- same per-company lock as set_marketing_override (see there)
    PERFORM outreach._kill_switch_lock(p_company_unique_id, p_exclusive => true);
    v_now := clock_timestamp();

    PERFORM shq.fn_sanction('outreach.manual_overrides');
    WITH removed AS (
        UPDATE outreach.manual_overrides mo
           SET removed_at = v_now,
               removed_by = p_actor,
               remove_reason = p_reason
         WHERE mo.company_unique_id = p_company_unique_id
           AND mo.override_type = p_override_type
           AND mo.removed_at IS NULL
           AND (mo.expires_at IS NULL OR mo.expires_at > v_now)   -- only an active one; an expired row is history
        RETURNING mo.override_id, mo.override_type, mo.tier_cap, mo.expires_at
    )
    INSERT INTO outreach.override_audit_log (override_id, company_unique_id, action, override_type, tier_cap,
                                             expires_at, reason, actor, occurred_at)
    SELECT r.override_id, p_company_unique_id, 'REMOVE', r.override_type, r.tier_cap, r.expires_at,
           p_reason, p_actor, v_now
      FROM removed r;
    GET DIAGNOSTICS v_removed = ROW_COUNT;
    PERFORM shq.fn_sanction('');
    RETURN v_removed;
END
$$;
COMMENT ON FUNCTION outreach.remove_marketing_override(text, text, text, text) IS
    'Kill switch: removes the company''s active override of the type (removed_at/by, remove_reason, a REMOVE audit row); returns rows removed, 0 when none was active. OG001 blank company, OG002 not in CL, 22023 bad type/reason/actor (docs/reference/gate.md).';
GRANT EXECUTE ON FUNCTION outreach.remove_marketing_override(text, text, text, text) TO outreach_override_admin;
