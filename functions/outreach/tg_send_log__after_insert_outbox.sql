-- outreach.tg_send_log__after_insert_outbox(): sends to the outbox (docs/consuming-events.md): SEND to analytics
-- for every send; a direct send's SEND_REQUESTED to the senders, or a queued request marked sent. Per statement.
CREATE OR REPLACE FUNCTION outreach.tg_send_log__after_insert_outbox()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- @plpgsql_check_options: newtable = new_sends
-- A sending worker that performs a queued request (outreach.send_requests)
-- names it for its send transaction with
--   set_config('outreach.send_request_id', <request_id>, true)
-- before the INSERT: the request turns 'sent' here, in the same transaction
-- as the send. A request that is not pending any more (sent by another
-- worker, blocked) raises 23505 and the whole send rolls back before the
-- provider is called: one request is never recorded as two sends. Without
-- the setting the send was made directly (execute_send): its request goes
-- to the senders as SEND_REQUESTED, mode direct.
DECLARE
    v_setting text := current_setting('outreach.send_request_id', true);
    v_request bigint;
    v_status text;
    v_send bigint;
BEGIN
    IF coalesce(v_setting, '') <> '' THEN
        IF v_setting !~ '^[0-9]{1,18}$' THEN
            RAISE EXCEPTION 'outreach.send_request_id must be a request id, got %', quote_literal(v_setting)
                USING ERRCODE = '22023', HINT = 'Set it to the request_id (the SEND_REQUESTED event_id) being performed.';
        END IF;
        v_request := v_setting::bigint;
        IF (SELECT count(*) FROM new_sends) <> 1 THEN
            RAISE EXCEPTION 'send request % is performed by exactly one send, this statement records %', v_request,
                    (SELECT count(*) FROM new_sends)
                USING ERRCODE = '22023', HINT = 'Insert the send_log row of a queued request on its own.';
        END IF;
        UPDATE outreach.send_requests r
           SET status = 'sent', send_id = n.send_id, closed_audit_id = n.gate_audit_id, closed_at = now()
          FROM new_sends n
         WHERE r.request_id = v_request AND r.status = 'pending'
           AND r.company_unique_id = n.company_unique_id AND r.campaign_id = n.campaign_id
           AND r.sequence_id IS NOT DISTINCT FROM n.sequence_id;
        IF NOT FOUND THEN
            SELECT r.status, r.send_id INTO v_status, v_send FROM outreach.send_requests r WHERE r.request_id = v_request;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'send request % does not exist', v_request
                    USING ERRCODE = '22023', HINT = 'Name the request_id of a SEND_REQUESTED event of mode queued.';
            ELSIF v_status <> 'pending' THEN
                RAISE EXCEPTION 'send request % is % already%', v_request, v_status,
                        CASE WHEN v_send IS NOT NULL THEN format(' (send %s)', v_send) ELSE '' END
                    USING ERRCODE = '23505',
                          HINT = 'Nothing was sent for it now; acknowledge its event and move on.';
            END IF;
            RAISE EXCEPTION 'send does not match send request % (company, campaign or step)', v_request
                USING ERRCODE = '22023', HINT = 'Record the send the request asked for.';
        END IF;
    END IF;

    -- A payload is to_jsonb of a row whose columns are its keys, not
    -- jsonb_build_object: that looks up the type of every key as well as of
    -- every value, per call. The columns come in jsonb's own key order
    -- (shorter keys first, then bytewise), so that building the object
    -- finds its keys sorted already. A direct send's SEND payload is its
    -- SEND_REQUESTED payload without mode and correlation_id (request_id is
    -- NULL in both): removing two keys costs less than converting nine
    -- values again. OFFSET 0 keeps that payload built once per send, not
    -- once per use. Same keys, same JSON types, same order of events.
    IF v_request IS NULL THEN
        INSERT INTO outreach.outbox_events (destination, event_type, company_unique_id, outreach_id, payload, occurred_at)
        SELECT x.destination, x.event_type, n.company_unique_id, n.outreach_id, x.payload, n.sent_at
          FROM new_sends n
          LEFT JOIN outreach.sequences q ON q.sequence_id = n.sequence_id
          LEFT JOIN outreach.send_attempt_audit a ON a.audit_id = n.gate_audit_id
         CROSS JOIN LATERAL (SELECT to_jsonb(p) AS payload
                               FROM (SELECT 'direct' AS mode, n.channel, n.send_id, n.person_id, n.target_id,
                                            NULL::bigint AS request_id, n.campaign_id, n.sequence_id, q.step_number,
                                            n.gate_audit_id, a.correlation_id) AS p
                             OFFSET 0) AS r
         CROSS JOIN LATERAL (VALUES (1, 'sender', 'SEND_REQUESTED', r.payload),
                                    (2, 'analytics', 'SEND', r.payload - '{mode,correlation_id}'::text[])
           ) AS x(n, destination, event_type, payload)
         ORDER BY n.send_id, x.n;
    ELSE
        -- the one send of a queued request: its SEND, which names the request
        INSERT INTO outreach.outbox_events (destination, event_type, company_unique_id, outreach_id, payload, occurred_at)
        SELECT 'analytics', 'SEND', n.company_unique_id, n.outreach_id, to_jsonb(p), n.sent_at
          FROM new_sends n
          LEFT JOIN outreach.sequences q ON q.sequence_id = n.sequence_id
         CROSS JOIN LATERAL (SELECT n.channel, n.send_id, n.person_id, n.target_id, v_request AS request_id,
                                    n.campaign_id, n.sequence_id, q.step_number, n.gate_audit_id) AS p
         ORDER BY n.send_id;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_send_log__after_insert_outbox() IS
    'Trigger (AFTER INSERT ON send_log, per statement): an analytics SEND event per send; for a direct send a sender SEND_REQUESTED (mode direct), for a queued request named by outreach.send_request_id its send_requests row turned sent (23505 when it is not pending), in the same transaction (docs/consuming-events.md).';
