-- outreach.fn_block_send_request: close a queued send request that the gate refused right before the send
-- (docs/consuming-events.md); the step can then be planned and queued again.
CREATE OR REPLACE FUNCTION outreach.fn_block_send_request(p_request_id bigint, p_gate_audit_id uuid)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- The proof is the refusing verdict: a blocked gate audit row for the
-- request's company and campaign, taken after the request was queued.
-- Returns true when the request was pending and is now blocked, false when
-- it was closed already (sent or blocked: nothing changes).
DECLARE
    v_r outreach.send_requests;
BEGIN
    SELECT r.* INTO v_r FROM outreach.send_requests r WHERE r.request_id = p_request_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'send request % does not exist', coalesce(p_request_id::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Name the request_id of a SEND_REQUESTED event of mode queued.';
    END IF;
    IF v_r.status <> 'pending' THEN
        RETURN false;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM outreach.send_attempt_audit a
                    WHERE a.audit_id = p_gate_audit_id AND a.was_blocked AND NOT a.is_dry_run
                      AND a.company_unique_id = v_r.company_unique_id AND a.campaign_id = v_r.campaign_id
                      AND a.attempt_timestamp >= v_r.requested_at) THEN
        RAISE EXCEPTION 'gate verdict % is not a refusal of send request %', coalesce(p_gate_audit_id::text, 'NULL'),
                p_request_id
            USING ERRCODE = '22023',
                  HINT = 'Pass the audit_id of the blocked verdict the gate gave for this request''s company and campaign.';
    END IF;
    UPDATE outreach.send_requests r
       SET status = 'blocked', closed_audit_id = p_gate_audit_id, closed_at = now()
     WHERE r.request_id = p_request_id;
    RETURN true;
END
$$;
COMMENT ON FUNCTION outreach.fn_block_send_request(bigint, uuid) IS
    'Closes a pending queued send request as blocked, on the gate''s refusing verdict for its company and campaign (taken after it was queued); false when it was closed already. 22023 unknown request or a verdict that is not such a refusal (docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_block_send_request(bigint, uuid) TO outreach_sender;
