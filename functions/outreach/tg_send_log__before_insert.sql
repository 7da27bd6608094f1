-- outreach.tg_send_log__before_insert(): no send without the gate (docs/reference/gate.md): OG008 unless
-- gate_audit_id is a fresh, passing, unused, matching verdict; OG006 unless the ids are the target's.
CREATE OR REPLACE FUNCTION outreach.tg_send_log__before_insert()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_t_target    text;
    v_t_outreach  uuid;
    v_t_company   text;
    v_t_status    text;
    v_a_company   text;
    v_a_campaign  text;
    v_a_channel   text;
    v_a_blocked   boolean;
    v_a_reason    text;
    v_a_dry_run   boolean;
    v_a_at        timestamptz;
    v_now         timestamptz;
    v_change_at   timestamptz;
    v_used_by     bigint;
BEGIN
    IF shq.fn_is_blank(NEW.company_unique_id) THEN
        RAISE EXCEPTION 'send_log row without a company_unique_id'
            USING ERRCODE = 'OG001', HINT = 'Record the send for the company the safety gate cleared.';
    END IF;
    IF NEW.gate_audit_id IS NULL THEN
        RAISE EXCEPTION 'send to company % without a safety-gate verdict (gate_audit_id is NULL)', NEW.company_unique_id
            USING ERRCODE = 'OG008',
                  HINT = 'Call outreach.fn_safety_gate_check first and pass the audit_id of its passing verdict.';
    END IF;

    -- Shared side of the kill switch's per-company lock (set_marketing_override
    -- takes it exclusively): an override change either committed before this
    -- check (and is seen below) or is stamped after it.
    PERFORM outreach._kill_switch_lock(NEW.company_unique_id);

    -- The Company Target, FOR NO KEY UPDATE: an opt-out being written now is
    -- waited for and then seen, and concurrent sends to one target queue here
    -- (the status trigger of send_log locks the target the same way later in
    -- the statement; a weaker lock here would let two sends deadlock on the
    -- upgrade). outreach_id/target_id may be omitted: they are the target's.
    IF NEW.target_id IS NULL THEN
        SELECT t.target_id, t.outreach_id, t.company_unique_id, t.outreach_status
          INTO v_t_target, v_t_outreach, v_t_company, v_t_status
          FROM outreach.company_target t
         WHERE t.company_unique_id = NEW.company_unique_id
           FOR NO KEY UPDATE;
    ELSE
        SELECT t.target_id, t.outreach_id, t.company_unique_id, t.outreach_status
          INTO v_t_target, v_t_outreach, v_t_company, v_t_status
          FROM outreach.company_target t
         WHERE t.target_id = NEW.target_id
           FOR NO KEY UPDATE;
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'send_log row names no Company Target (target_id %, company %)',
                        coalesce(NEW.target_id, 'NULL'), NEW.company_unique_id
            USING ERRCODE = 'OG006',
                  HINT = 'A send goes to a company with a Company Target; create it with outreach.fn_create_company_target.';
    END IF;
    NEW.target_id := coalesce(NEW.target_id, v_t_target);
    NEW.outreach_id := coalesce(NEW.outreach_id, v_t_outreach);
    IF NEW.outreach_id <> v_t_outreach OR NEW.company_unique_id <> v_t_company THEN
        RAISE EXCEPTION 'send_log row disagrees with its Company Target %', NEW.target_id
            USING ERRCODE = 'OG006',
                  DETAIL = format('row has (%s, %s); the target has (%s, %s)',
                                  NEW.outreach_id, NEW.company_unique_id, v_t_outreach, v_t_company),
                  HINT = 'Copy outreach_id and company_unique_id from the target (or omit outreach_id and target_id).';
    END IF;

    -- The verdict, locked so that two inserts naming it queue: the second one
    -- then sees the first one's committed row and is refused below.
    SELECT a.company_unique_id, a.campaign_id, a.channel, a.was_blocked, a.block_reason, a.is_dry_run,
           a.attempt_timestamp
      INTO v_a_company, v_a_campaign, v_a_channel, v_a_blocked, v_a_reason, v_a_dry_run, v_a_at
      FROM outreach.send_attempt_audit a
     WHERE a.audit_id = NEW.gate_audit_id
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'send to company %: gate_audit_id % is not a safety-gate verdict', NEW.company_unique_id, NEW.gate_audit_id
            USING ERRCODE = 'OG008', HINT = 'Pass the audit_id that outreach.fn_safety_gate_check returned.';
    END IF;
    IF v_a_blocked THEN
        RAISE EXCEPTION 'send to company %: verdict % blocked the send (%)', NEW.company_unique_id, NEW.gate_audit_id, v_a_reason
            USING ERRCODE = 'OG008', HINT = 'A blocked verdict never clears a send.';
    END IF;
    IF v_a_dry_run THEN
        RAISE EXCEPTION 'send to company %: verdict % was a dry run', NEW.company_unique_id, NEW.gate_audit_id
            USING ERRCODE = 'OG008', HINT = 'Run the gate with p_dry_run = false to clear a real send.';
    END IF;
    IF v_a_company IS DISTINCT FROM NEW.company_unique_id THEN
        RAISE EXCEPTION 'send to company %: verdict % cleared company %', NEW.company_unique_id, NEW.gate_audit_id, v_a_company
            USING ERRCODE = 'OG008', HINT = 'A verdict clears one send to the company it was taken for.';
    END IF;
    IF v_a_campaign IS DISTINCT FROM NEW.campaign_id THEN
        RAISE EXCEPTION 'send to company % in campaign %: verdict % was for campaign %',
                        NEW.company_unique_id, NEW.campaign_id, NEW.gate_audit_id, v_a_campaign
            USING ERRCODE = 'OG008', HINT = 'Run the gate for the campaign you are sending in.';
    END IF;
    IF v_a_channel IS DISTINCT FROM NEW.channel THEN
        RAISE EXCEPTION 'send to company % by %: verdict % was for channel %',
                        NEW.company_unique_id, NEW.channel, NEW.gate_audit_id, v_a_channel
            USING ERRCODE = 'OG008', HINT = 'Run the gate for the channel you are sending on.';
    END IF;
    v_now := clock_timestamp();
    IF v_a_at < v_now - interval '15 minutes' THEN
        RAISE EXCEPTION 'send to company %: verdict % is from %, older than 15 minutes', NEW.company_unique_id, NEW.gate_audit_id, v_a_at
            USING ERRCODE = 'OG008', HINT = 'Run the gate again right before sending.';
    END IF;
    SELECT s.send_id INTO v_used_by FROM outreach.send_log s WHERE s.gate_audit_id = NEW.gate_audit_id;
    IF FOUND THEN
        RAISE EXCEPTION 'send to company %: verdict % already cleared send %', NEW.company_unique_id, NEW.gate_audit_id, v_used_by
            USING ERRCODE = 'OG008', HINT = 'One gate pass clears one send: run the gate again.';
    END IF;
    -- A kill-switch change after the verdict voids it, whatever the change.
    SELECT max(l.occurred_at) INTO v_change_at
      FROM outreach.override_audit_log l
     WHERE l.company_unique_id = NEW.company_unique_id
       AND l.occurred_at > v_a_at;
    IF v_change_at IS NOT NULL THEN
        RAISE EXCEPTION 'send to company %: its kill switch changed at %, after verdict % at %',
                        NEW.company_unique_id, v_change_at, NEW.gate_audit_id, v_a_at
            USING ERRCODE = 'OG008', HINT = 'Run the gate again: the verdict predates the latest override change.';
    END IF;
    IF v_t_status = 'opted_out' THEN
        RAISE EXCEPTION 'send to company %: target % opted out after verdict %', NEW.company_unique_id, NEW.target_id, NEW.gate_audit_id
            USING ERRCODE = 'OG008', HINT = 'An opted-out company gets no further sends.';
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION outreach.tg_send_log__before_insert() IS
    'Trigger: a send_log row needs a passing, non-dry-run verdict of outreach.fn_safety_gate_check for the same company, campaign and channel, at most 15 minutes old, not used before, with no kill-switch change for the company since and the target not opted out (OG008); its ids must be its Company Target''s (OG006; outreach_id/target_id are filled in when omitted) (docs/reference/gate.md).';
