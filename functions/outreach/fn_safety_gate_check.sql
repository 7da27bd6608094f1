-- outreach.fn_safety_gate_check: the marketing safety gate (SPEC §6, §16.3, seed 004).
-- Reads only the authoritative view and the campaign row; one send_attempt_audit row per call; fails closed.
CREATE OR REPLACE FUNCTION outreach.fn_safety_gate_check(
    p_company_unique_id text,
    p_campaign_id text,
    p_correlation_id text,
    p_channel text DEFAULT 'EMAIL',
    p_dry_run boolean DEFAULT false)
RETURNS TABLE (audit_id uuid, is_eligible boolean, block_reason text, computed_tier integer, effective_tier integer)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_reason      text;
    v_computed    integer;
    v_effective   integer;
    v_eligibility text;
    v_status      text;
    v_disabled    boolean;
    v_email_blk   boolean;
    v_phone_blk   boolean;
    v_has_company boolean := false;
    v_c_channel   text;
    v_c_status    text;
    v_c_min_tier  integer;
    v_has_campaign boolean := false;
    v_err_state   text;
    v_err_msg     text;
BEGIN
    -- Everything that can go wrong happens inside this block; whatever it is,
    -- the verdict is ELIGIBILITY_CHECK_FAILED and the audit row below is still
    -- written (fail closed). query_canceled is caught too: a statement or lock
    -- timeout is a blocked verdict, not a missing audit row.
    BEGIN
        -- "blank" (SPEC §16.1) is spelled out here rather than calling
        -- shq.fn_is_blank: a function with a pinned search_path is never
        -- inlined, and this is the hot path.
        IF NOT (p_company_unique_id IS NULL OR p_company_unique_id !~ '\S') THEN
            -- Shared side of the kill switch's per-company lock (see
            -- set_marketing_override): no override change is in flight while
            -- the verdict is taken, and none commits before this transaction ends.
            PERFORM outreach._kill_switch_lock(p_company_unique_id);
            SELECT v.eligibility_status, v.outreach_status, v.computed_tier, v.effective_tier,
                   v.marketing_disabled, v.email_blocked, v.phone_blocked
              INTO STRICT v_eligibility, v_status, v_computed, v_effective, v_disabled, v_email_blk, v_phone_blk
              FROM outreach.vw_marketing_eligibility_with_overrides v
             WHERE v.company_unique_id = p_company_unique_id;
            -- STRICT: no row (unknown company) or two rows (a broken view) raise,
            -- and both end as ELIGIBILITY_CHECK_FAILED below
            v_has_company := true;
        END IF;
        IF NOT (p_campaign_id IS NULL OR p_campaign_id !~ '\S') THEN
            SELECT c.channel, c.status, c.min_tier
              INTO v_c_channel, v_c_status, v_c_min_tier
              FROM outreach.campaigns c
             WHERE c.campaign_id = p_campaign_id;
            v_has_campaign := FOUND;
        END IF;

        IF NOT coalesce(
               -- only READ COMMITTED sees every kill-switch change committed before the lock was granted
               current_setting('transaction_isolation') = 'read committed'
               AND v_has_company AND v_has_campaign
               AND NOT (p_correlation_id IS NULL OR p_correlation_id !~ '\S')
               AND p_channel IN ('EMAIL', 'PHONE') AND p_channel = v_c_channel
               AND p_dry_run IS NOT NULL
               -- missing data is never read as "not blocked"
               AND v_eligibility IS NOT NULL AND v_status IS NOT NULL
               AND v_computed IS NOT NULL AND v_effective IS NOT NULL
               AND v_disabled IS NOT NULL AND v_email_blk IS NOT NULL AND v_phone_blk IS NOT NULL
               AND v_c_status IS NOT NULL AND v_c_min_tier IS NOT NULL,
               false)
        THEN
            v_reason := 'ELIGIBILITY_CHECK_FAILED';
        ELSIF v_c_status <> 'active' THEN
            v_reason := 'CAMPAIGN_NOT_ACTIVE';
        ELSIF v_eligibility <> 'ELIGIBLE' THEN
            v_reason := 'COMPANY_INELIGIBLE';
        ELSIF v_effective < 0 THEN
            v_reason := 'INELIGIBLE_TIER';
        ELSIF v_disabled THEN
            v_reason := 'MARKETING_DISABLED';
        ELSIF (p_channel = 'EMAIL' AND v_email_blk) OR (p_channel = 'PHONE' AND v_phone_blk) THEN
            v_reason := 'BLOCKING_OVERRIDE';
        ELSIF v_status = 'opted_out' THEN
            v_reason := 'OPTED_OUT';
        ELSIF v_effective < v_c_min_tier THEN
            v_reason := 'TIER_BELOW_CAMPAIGN_MINIMUM';
        ELSE
            v_reason := NULL;   -- cleared
        END IF;
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS v_err_state = RETURNED_SQLSTATE, v_err_msg = MESSAGE_TEXT;
        v_reason := 'ELIGIBILITY_CHECK_FAILED';
        IF v_err_state <> 'P0002' THEN   -- no_data_found is just an unknown company
            RAISE WARNING 'safety gate failed closed for company %, campaign %: % %',
                coalesce(p_company_unique_id, 'NULL'), coalesce(p_campaign_id, 'NULL'), v_err_state, v_err_msg;
        END IF;
    END;

    audit_id := gen_random_uuid();
    INSERT INTO outreach.send_attempt_audit (audit_id, company_unique_id, campaign_id, correlation_id, channel,
                                             computed_tier, effective_tier, was_blocked, block_reason, is_dry_run)
    VALUES (audit_id, p_company_unique_id, p_campaign_id, p_correlation_id, p_channel,
            v_computed, v_effective, v_reason IS NOT NULL, v_reason,
            coalesce(p_dry_run, true));   -- an unknown dry-run flag can never clear a send
    is_eligible := v_reason IS NULL;
    block_reason := v_reason;
    computed_tier := v_computed;
    effective_tier := v_effective;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION outreach.fn_safety_gate_check(text, text, text, text, boolean) IS
    'The marketing safety gate: one verdict (audit_id, is_eligible, block_reason, computed_tier, effective_tier) from vw_marketing_eligibility_with_overrides and the campaign, and exactly one send_attempt_audit row per call. Never raises for a verdict; fails closed to ELIGIBILITY_CHECK_FAILED. Block reasons, first that applies: ELIGIBILITY_CHECK_FAILED, CAMPAIGN_NOT_ACTIVE, COMPANY_INELIGIBLE, INELIGIBLE_TIER, MARKETING_DISABLED, BLOCKING_OVERRIDE, OPTED_OUT, TIER_BELOW_CAMPAIGN_MINIMUM (SPEC §6, §16.3).';
GRANT EXECUTE ON FUNCTION outreach.fn_safety_gate_check(text, text, text, text, boolean) TO outreach_sender;
