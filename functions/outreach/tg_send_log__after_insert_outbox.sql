-- outreach.tg_send_log__after_insert_outbox(): sends to the outbox (docs/consuming-events.md): SEND to analytics
-- for every send; a direct send's SEND_REQUESTED to the senders, or a queued request marked sent. Per row.
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
    v_payload jsonb;
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
           SET status = 'sent', send_id = NEW.send_id, closed_audit_id = NEW.gate_audit_id, closed_at = now()
         WHERE r.request_id = v_request AND r.status = 'pending'
           AND r.company_unique_id = NEW.company_unique_id AND r.campaign_id = NEW.campaign_id
           AND r.sequence_id IS NOT DISTINCT FROM NEW.sequence_id;
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

        -- the one send of a queued request: its SEND, which names the request
        INSERT INTO outreach.outbox_events (destination, event_type, company_unique_id, outreach_id, payload, occurred_at)
        SELECT 'analytics', 'SEND', NEW.company_unique_id, NEW.outreach_id, to_jsonb(p), NEW.sent_at
          FROM (SELECT NEW.channel, NEW.send_id, NEW.person_id, NEW.target_id, v_request AS request_id,
                       NEW.campaign_id, NEW.sequence_id,
                       (SELECT q.step_number FROM outreach.sequences q WHERE q.sequence_id = NEW.sequence_id)
                           AS step_number,
                       NEW.gate_audit_id) AS p;
        RETURN NULL;
    END IF;

    -- A payload is to_jsonb of a row whose columns are its keys, not
    -- jsonb_build_object: that looks up the type of every key as well as of
    -- every value, per call. A direct send's SEND payload is its
    -- SEND_REQUESTED payload without mode and correlation_id (request_id is
    -- NULL in both): removing two keys costs less than converting nine
    -- values again. Per row, not per statement over new_sends: the
    -- statement's join of the sends with their steps and gate audits, its
    -- lateral payload and its sort cost more to start than these two
    -- statements cost to run, and the row's events are written in the same
    -- order (a statement's sends in send_id order, each one's SEND_REQUESTED
    -- before its SEND). Same keys, same JSON types.
    v_payload := to_jsonb(p)
        FROM (SELECT 'direct' AS mode, NEW.channel, NEW.send_id, NEW.person_id, NEW.target_id,
                     NULL::bigint AS request_id, NEW.campaign_id, NEW.sequence_id,
                     (SELECT q.step_number FROM outreach.sequences q WHERE q.sequence_id = NEW.sequence_id)
                         AS step_number,
                     NEW.gate_audit_id,
                     (SELECT a.correlation_id FROM outreach.send_attempt_audit a WHERE a.audit_id = NEW.gate_audit_id)
                         AS correlation_id) AS p;
    INSERT INTO outreach.outbox_events (destination, event_type, company_unique_id, outreach_id, payload, occurred_at)
    VALUES ('sender', 'SEND_REQUESTED', NEW.company_unique_id, NEW.outreach_id, v_payload, NEW.sent_at),
           ('analytics', 'SEND', NEW.company_unique_id, NEW.outreach_id, v_payload - '{mode,correlation_id}'::text[],
            NEW.sent_at);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_send_log__after_insert_outbox() IS
    'Trigger (AFTER INSERT ON send_log, per row; NEW TABLE new_sends for the queued request''s one-send check): an analytics SEND event per send; for a direct send a sender SEND_REQUESTED (mode direct), for a queued request named by outreach.send_request_id its send_requests row turned sent (23505 when it is not pending), in the same transaction (docs/consuming-events.md).';
