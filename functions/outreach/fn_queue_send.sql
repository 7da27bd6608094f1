-- outreach.fn_queue_send: queue one send of a campaign step for a sending worker, on a passing gate verdict:
-- a SEND_REQUESTED event (mode queued) to the senders and its outreach.send_requests row (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach.fn_queue_send(
    p_gate_audit_id uuid,
    p_sequence_id bigint,
    p_person_id text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- The verdict must be the gate's, passing, not a dry run, at most 15 minutes
-- old, for the step's campaign; the worker asks the gate again right before
-- it sends, and the send_log guard holds it to that second verdict. Returns
-- the request_id (= the event_id), or NULL when the same step is already
-- queued for the company and not performed yet (nothing is written then).
DECLARE
    v_a outreach.send_attempt_audit;
    v_step integer;
    v_target text;
    v_outreach uuid;
    v_request bigint;
BEGIN
    SELECT a.* INTO v_a FROM outreach.send_attempt_audit a WHERE a.audit_id = p_gate_audit_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'gate verdict % does not exist', coalesce(p_gate_audit_id::text, 'NULL')
            USING ERRCODE = 'OG008', HINT = 'Pass the audit_id of a passing outreach.fn_safety_gate_check verdict.';
    END IF;
    IF v_a.was_blocked OR v_a.is_dry_run OR v_a.attempt_timestamp < clock_timestamp() - interval '15 minutes' THEN
        RAISE EXCEPTION 'gate verdict % does not clear a send to company % (%)', p_gate_audit_id, v_a.company_unique_id,
                CASE WHEN v_a.was_blocked THEN 'blocked: ' || v_a.block_reason
                     WHEN v_a.is_dry_run THEN 'a dry run'
                     ELSE 'older than 15 minutes' END
            USING ERRCODE = 'OG008', HINT = 'Queue a send on a fresh, passing, non-dry-run verdict.';
    END IF;
    SELECT q.step_number INTO v_step
      FROM outreach.sequences q WHERE q.sequence_id = p_sequence_id AND q.campaign_id = v_a.campaign_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'sequence_id % is not a step of campaign %', coalesce(p_sequence_id::text, 'NULL'), v_a.campaign_id
            USING ERRCODE = '22023', HINT = 'Queue a step of the campaign the verdict was taken for.';
    END IF;
    SELECT t.target_id, t.outreach_id INTO v_target, v_outreach
      FROM outreach.company_target t WHERE t.company_unique_id = v_a.company_unique_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'company % has no Company Target', v_a.company_unique_id
            USING ERRCODE = 'OG006', HINT = 'A send goes to a company with a Company Target.';
    END IF;
    -- the request row first: when the same step is queued and open already,
    -- nothing is written (the unique index waits for a concurrent queuer)
    v_request := nextval(pg_get_serial_sequence('outreach.outbox_events', 'event_id'));
    INSERT INTO outreach.send_requests (request_id, company_unique_id, target_id, campaign_id, sequence_id, person_id,
                                        channel, correlation_id, queued_audit_id)
    VALUES (v_request, v_a.company_unique_id, v_target, v_a.campaign_id, p_sequence_id, p_person_id, v_a.channel,
            coalesce(v_a.correlation_id, 'request-' || v_request), p_gate_audit_id)
    ON CONFLICT (campaign_id, company_unique_id, sequence_id) WHERE status = 'pending' DO NOTHING;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    INSERT INTO outreach.outbox_events (event_id, destination, event_type, company_unique_id, outreach_id, payload,
                                        occurred_at)
    OVERRIDING SYSTEM VALUE
    SELECT r.request_id, 'sender', 'SEND_REQUESTED', r.company_unique_id, v_outreach,
           jsonb_build_object('mode', 'queued', 'request_id', r.request_id, 'send_id', NULL,
                              'target_id', r.target_id, 'campaign_id', r.campaign_id, 'sequence_id', r.sequence_id,
                              'step_number', v_step, 'person_id', r.person_id, 'channel', r.channel,
                              'correlation_id', r.correlation_id, 'gate_audit_id', r.queued_audit_id),
           r.requested_at
      FROM outreach.send_requests r
     WHERE r.request_id = v_request;
    RETURN v_request;
END
$$;
COMMENT ON FUNCTION outreach.fn_queue_send(uuid, bigint, text) IS
    'Queues a send of campaign step p_sequence_id on the passing gate verdict p_gate_audit_id: a sender SEND_REQUESTED event (mode queued) and its outreach.send_requests row, one transaction; NULL when that step is already queued for the company. OG008 a verdict that does not clear a send, 22023 a step of another campaign, OG006 no Company Target (docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_queue_send(uuid, bigint, text) TO outreach_sender;
