-- outreach.set_marketing_override: the kill switch's sanctioned writer (docs/reference/gate.md):
-- sets (or replaces) one override of a company, audited in the same transaction.
CREATE OR REPLACE FUNCTION outreach.set_marketing_override(
    p_company_unique_id text,
    p_override_type text,
    p_reason text,
    p_actor text,
    p_tier_cap integer DEFAULT NULL,
    p_expires_at timestamptz DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_now      timestamptz;
    v_new_id   uuid := gen_random_uuid();
    v_old_id   uuid;
    v_old_cap  integer;
    v_old_exp  timestamptz;
    v_old_active boolean;
BEGIN
    PERFORM outreach._check_override_args('setting an override', p_company_unique_id, p_override_type, p_reason, p_actor);
    IF p_override_type = 'FORCE_TIER' AND (p_tier_cap IS NULL OR p_tier_cap NOT BETWEEN -1 AND 3) THEN
        RAISE EXCEPTION 'FORCE_TIER needs a tier cap between -1 and 3 (got %)', coalesce(p_tier_cap::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Pass p_tier_cap: -1 (never market), 0, 1, 2 or 3.';
    END IF;
    IF p_override_type <> 'FORCE_TIER' AND p_tier_cap IS NOT NULL THEN
        RAISE EXCEPTION 'a tier cap (%) applies only to FORCE_TIER, not to %', p_tier_cap, p_override_type
            USING ERRCODE = '22023', HINT = 'Leave p_tier_cap NULL for BLOCK_* overrides.';
    END IF;
    PERFORM outreach._check_override_company(p_company_unique_id);

    -- One kill-switch change per company at a time. The safety gate and the
    -- send_log guard take the same lock in shared mode, so a verdict never
    -- straddles a change, and the change's timestamp (taken after the lock)
    -- orders it against every verdict and send (docs/reference/gate.md).
    PERFORM outreach._kill_switch_lock(p_company_unique_id, p_exclusive => true);
    v_now := clock_timestamp();
    -- checked against the change's own timestamp (after any wait for the lock)
    IF p_expires_at IS NOT NULL AND p_expires_at <= v_now THEN
        RAISE EXCEPTION 'expires_at % is not in the future', p_expires_at
            USING ERRCODE = '22023', HINT = 'Pass a future expiry, or NULL for an override that lasts until removed.';
    END IF;

    PERFORM shq.fn_sanction('outreach.manual_overrides');
    -- the not-removed row of this type, active or already expired (at most one: partial unique index)
    UPDATE outreach.manual_overrides mo
       SET removed_at = v_now,
           removed_by = p_actor,
           remove_reason = 'replaced by ' || v_new_id::text
     WHERE mo.company_unique_id = p_company_unique_id
       AND mo.override_type = p_override_type
       AND mo.removed_at IS NULL
    RETURNING mo.override_id, mo.tier_cap, mo.expires_at, (mo.expires_at IS NULL OR mo.expires_at > v_now)
         INTO v_old_id, v_old_cap, v_old_exp, v_old_active;

    INSERT INTO outreach.manual_overrides (override_id, company_unique_id, override_type, tier_cap, reason,
                                           created_by, created_at, expires_at)
    VALUES (v_new_id, p_company_unique_id, p_override_type, p_tier_cap, p_reason, p_actor, v_now, p_expires_at);
    PERFORM shq.fn_sanction('');

    IF v_old_id IS NOT NULL THEN
        INSERT INTO outreach.override_audit_log (override_id, company_unique_id, action, override_type, tier_cap,
                                                 expires_at, reason, actor, occurred_at)
        VALUES (v_old_id, p_company_unique_id, 'REMOVE', p_override_type, v_old_cap, v_old_exp,
                'replaced by ' || v_new_id::text, p_actor, v_now);
    END IF;
    -- REPLACE names the new override when it takes over an active one (docs/reference/gate.md);
    -- an expired leftover is closed above and the new one is a plain SET.
    INSERT INTO outreach.override_audit_log (override_id, company_unique_id, action, override_type, tier_cap,
                                             expires_at, reason, actor, occurred_at)
    VALUES (v_new_id, p_company_unique_id, CASE WHEN v_old_active THEN 'REPLACE' ELSE 'SET' END,
            p_override_type, p_tier_cap, p_expires_at, p_reason, p_actor, v_now);
    RETURN v_new_id;
END
$$;
COMMENT ON FUNCTION outreach.set_marketing_override(text, text, text, text, integer, timestamptz) IS
    'Kill switch: sets an override (BLOCK_OUTREACH, BLOCK_EMAIL, BLOCK_PHONE, FORCE_TIER with tier_cap -1..3), replacing the company''s not-removed one of that type (REMOVE + REPLACE audit rows), else SET; returns the new override_id. OG001 blank company, OG002 not in CL, 22023 bad type/reason/actor/cap/expiry (docs/reference/gate.md).';
GRANT EXECUTE ON FUNCTION outreach.set_marketing_override(text, text, text, text, integer, timestamptz)
    TO outreach_override_admin;
