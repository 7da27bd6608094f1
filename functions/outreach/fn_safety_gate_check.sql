-- outreach.fn_safety_gate_check: the marketing safety gate (docs/reference/gate.md).
-- Reads only the authoritative view and the campaign row; one send_attempt_audit row per call; fails closed.
CREATE OR REPLACE FUNCTION outreach.fn_safety_gate_check(
    p_company_unique_id text,
    p_campaign_id text,
    p_correlation_id text,
    p_channel text DEFAULT 'EMAIL',
    p_dry_run boolean DEFAULT false)
RETURNS TABLE (audit_id uuid, is_eligible boolean, block_reason text, computed_tier integer, effective_tier integer,
               block_detail text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_eligibility text;
    v_status      text;
    v_disabled    boolean;
    v_email_blk   boolean;
    v_phone_blk   boolean;
    v_c_channel   text;
    v_c_status    text;
    v_c_min_tier  integer;
    v_err_state   text;
    v_err_msg     text;
    v_lock_taken  boolean;
BEGIN
    -- Everything that can go wrong happens inside this block; whatever it is,
    -- the verdict is ELIGIBILITY_CHECK_FAILED and the audit row below is still
    -- written (fail closed). query_canceled is caught too: a statement or lock
    -- timeout is a blocked verdict, not a missing audit row.
    BEGIN
        -- Neither id is tested for blank before its lookup: no campaign and no
        -- company has a blank (or NULL) id (campaigns' CHECK, CL's guard), so a
        -- blank id finds no row, and the detail below names it. A test per call
        -- would cost every check a regular expression.
        -- The campaign first: an unknown company raises below, and the
        -- detail of a failed check still knows whether the campaign exists
        -- (its columns are NOT NULL, so a NULL channel means no row).
        SELECT c.channel, c.status, c.min_tier
          INTO v_c_channel, v_c_status, v_c_min_tier
          FROM outreach.campaigns c
         WHERE c.campaign_id = p_campaign_id;
        -- Shared side of the kill switch's per-company lock (see
        -- set_marketing_override): no override change is in flight while
        -- the verdict is taken, and none commits before this transaction ends.
        -- An assignment rather than PERFORM: PL/pgSQL evaluates a one-expression
        -- assignment without starting an executor (PERFORM runs a query), and the
        -- lock is still taken before the statement below starts and takes its snapshot.
        -- (A NULL id takes no lock and leaves v_lock_taken false.)
        v_lock_taken := outreach._kill_switch_lock(p_company_unique_id) IS NOT NULL;
        SELECT v.eligibility_status, v.outreach_status, v.computed_tier, v.effective_tier,
               v.marketing_disabled, v.email_blocked, v.phone_blocked
          INTO STRICT v_eligibility, v_status, computed_tier, effective_tier, v_disabled, v_email_blk, v_phone_blk
          FROM outreach.vw_marketing_eligibility_with_overrides v
         WHERE v.company_unique_id = p_company_unique_id;
        -- STRICT: no row (unknown or blank company) or two rows (a broken view)
        -- raise, and both end as ELIGIBILITY_CHECK_FAILED below; past this
        -- point the company was found.

        IF NOT coalesce(
               -- only READ COMMITTED sees every kill-switch change committed before the lock was granted
               current_setting('transaction_isolation') = 'read committed'
               AND v_lock_taken
               -- not blank (docs/reference/conventions.md), spelled out rather than
               -- NOT shq.fn_is_blank (a function with a pinned search_path is never
               -- inlined): a NULL id matches NULL, which fails closed like false,
               -- so the match needs no NULL test of its own
               AND p_correlation_id ~ '\S'
               -- the campaign's channel is EMAIL or PHONE (its CHECK), so this is
               -- also the channel's own check, and it fails without a campaign
               AND p_channel = v_c_channel
               AND p_dry_run IS NOT NULL
               -- missing data is never read as "not blocked"
               AND v_eligibility IS NOT NULL AND v_status IS NOT NULL
               AND computed_tier IS NOT NULL AND effective_tier IS NOT NULL
               AND v_disabled IS NOT NULL AND v_email_blk IS NOT NULL AND v_phone_blk IS NOT NULL
               AND v_c_status IS NOT NULL AND v_c_min_tier IS NOT NULL,
               false)
        THEN
            block_reason := 'ELIGIBILITY_CHECK_FAILED';
        -- A blocked verdict's detail is set in its own branch: PL/pgSQL prepares an
        -- expression once per transaction (every check), so one CASE of every
        -- detail would prepare all of them on each check.
        ELSIF v_c_status <> 'active' THEN
            block_reason := 'CAMPAIGN_NOT_ACTIVE';
            block_detail := format('campaign %L is %s', p_campaign_id, v_c_status);
        ELSIF v_eligibility <> 'ELIGIBLE' THEN
            block_reason := 'COMPANY_INELIGIBLE';
            block_detail := 'CL eligibility_status is ' || v_eligibility;
        ELSIF effective_tier < 0 THEN
            block_reason := 'INELIGIBLE_TIER';
            block_detail := CASE WHEN computed_tier < 0 THEN 'computed tier is -1: a required hub is FAIL or BLOCKED'
                             ELSE format('a FORCE_TIER override caps the tier at -1 (computed tier %s)', computed_tier) END;
        ELSIF v_disabled THEN
            block_reason := 'MARKETING_DISABLED';
            block_detail := 'an active BLOCK_OUTREACH override';
        -- the channel is the campaign's, EMAIL or PHONE (checked above)
        ELSIF (CASE WHEN p_channel = 'EMAIL' THEN v_email_blk ELSE v_phone_blk END) THEN
            block_reason := 'BLOCKING_OVERRIDE';
            block_detail := 'an active BLOCK_' || p_channel || ' override';
        ELSIF v_status = 'opted_out' THEN
            block_reason := 'OPTED_OUT';
            block_detail := 'outreach_status is opted_out';
        ELSIF effective_tier < v_c_min_tier THEN
            block_reason := 'TIER_BELOW_CAMPAIGN_MINIMUM';
            block_detail := format('effective tier %s is below the campaign minimum %s', effective_tier, v_c_min_tier);
        END IF;   -- none applies: cleared, block_reason stays NULL
    EXCEPTION WHEN OTHERS OR query_canceled THEN
        GET STACKED DIAGNOSTICS v_err_state = RETURNED_SQLSTATE, v_err_msg = MESSAGE_TEXT;
        block_reason := 'ELIGIBILITY_CHECK_FAILED';
        IF v_err_state <> 'P0002' THEN   -- no_data_found is just an unknown company
            RAISE WARNING 'safety gate failed closed for company %, campaign %: % %',
                coalesce(p_company_unique_id, 'NULL'), coalesce(p_campaign_id, 'NULL'), v_err_state, v_err_msg;
        END IF;
    END;

    -- Why a check failed closed, in words: the first failed check, in the
    -- order below, so that a typo reads differently from a real failure. (Every
    -- other blocked verdict set its detail above; a pass has none.)
    IF block_reason = 'ELIGIBILITY_CHECK_FAILED' THEN
        block_detail := CASE
            WHEN p_company_unique_id IS NULL OR p_company_unique_id !~ '\S' THEN 'company id is blank'
            WHEN p_campaign_id IS NULL OR p_campaign_id !~ '\S' THEN 'campaign id is blank'
            WHEN p_correlation_id IS NULL OR p_correlation_id !~ '\S' THEN 'correlation id is blank'
            WHEN p_channel IS NULL OR p_channel NOT IN ('EMAIL', 'PHONE') THEN
                format('channel %s is not EMAIL/PHONE',
                       CASE WHEN p_channel IS NULL THEN 'NULL'
                            WHEN p_channel ~ '^[[:alnum:]_-]+$' THEN p_channel
                            ELSE quote_literal(p_channel) END)
            WHEN v_err_state = 'P0002' THEN format('unknown company %L', p_company_unique_id)
            WHEN v_err_state = 'P0003' THEN
                format('company %L is in the eligibility view more than once', p_company_unique_id)
            WHEN v_err_state IS NOT NULL THEN format('internal error %s: %s', v_err_state, left(v_err_msg, 200))
            WHEN v_c_channel IS NULL THEN format('unknown campaign %L', p_campaign_id)
            WHEN p_channel <> v_c_channel THEN format('campaign channel is %s, not %s', v_c_channel, p_channel)
            WHEN p_dry_run IS NULL THEN 'dry-run flag is NULL'
            WHEN current_setting('transaction_isolation') <> 'read committed' THEN
                format('transaction isolation is %s, not read committed', current_setting('transaction_isolation'))
            ELSE format('missing data for company %L: %s is NULL', p_company_unique_id,
                        concat_ws(', ',
                                  CASE WHEN v_eligibility IS NULL THEN 'eligibility_status' END,
                                  CASE WHEN v_status IS NULL THEN 'outreach_status (no Company Target?)' END,
                                  CASE WHEN computed_tier IS NULL THEN 'computed_tier' END,
                                  CASE WHEN effective_tier IS NULL THEN 'effective_tier' END,
                                  CASE WHEN v_disabled IS NULL THEN 'marketing_disabled' END,
                                  CASE WHEN v_email_blk IS NULL THEN 'email_blocked' END,
                                  CASE WHEN v_phone_blk IS NULL THEN 'phone_blocked' END,
                                  CASE WHEN v_c_status IS NULL THEN 'campaign status' END,
                                  CASE WHEN v_c_min_tier IS NULL THEN 'campaign min_tier' END))
        END;
    END IF;

    audit_id := gen_random_uuid();
    INSERT INTO outreach.send_attempt_audit (audit_id, company_unique_id, campaign_id, correlation_id, channel,
                                             computed_tier, effective_tier, was_blocked, block_reason, is_dry_run,
                                             block_detail)
    VALUES (audit_id, p_company_unique_id, p_campaign_id, p_correlation_id, p_channel,
            computed_tier, effective_tier, block_reason IS NOT NULL, block_reason,
            coalesce(p_dry_run, true),    -- an unknown dry-run flag can never clear a send
            block_detail);
    is_eligible := block_reason IS NULL;
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION outreach.fn_safety_gate_check(text, text, text, text, boolean) IS
    'The marketing safety gate: one verdict (audit_id, is_eligible, block_reason, computed_tier, effective_tier, block_detail) from vw_marketing_eligibility_with_overrides and the campaign, and exactly one send_attempt_audit row per call. Never raises for a verdict; fails closed to ELIGIBILITY_CHECK_FAILED, with block_detail saying which check failed. Block reasons, first that applies: ELIGIBILITY_CHECK_FAILED, CAMPAIGN_NOT_ACTIVE, COMPANY_INELIGIBLE, INELIGIBLE_TIER, MARKETING_DISABLED, BLOCKING_OVERRIDE, OPTED_OUT, TIER_BELOW_CAMPAIGN_MINIMUM (docs/reference/gate.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_safety_gate_check(text, text, text, text, boolean) TO outreach_sender;
