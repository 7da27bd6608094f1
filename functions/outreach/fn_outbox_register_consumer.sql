-- outreach.fn_outbox_register_consumer: register an outbox consumer ahead of its first claim, or change its
-- max_attempts; it starts at the oldest event in the outbox or at the newest (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach.fn_outbox_register_consumer(
    p_consumer text,
    p_destination text,
    p_max_attempts integer DEFAULT 5,
    p_start text DEFAULT 'earliest')
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- 'earliest': every event still in the outbox (what a first claim does);
-- 'latest': only events that commit from now on. An existing consumer keeps
-- its cursors; p_start only applies to a new one.
DECLARE
    v_exists boolean;
    v_last bigint;
BEGIN
    IF p_max_attempts IS NULL OR p_max_attempts NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'max attempts must be 1..1000 (got %)', coalesce(p_max_attempts::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'How many deliveries an event gets before it is parked; 5 is the default.';
    END IF;
    IF p_start IS NULL OR p_start NOT IN ('earliest', 'latest') THEN
        RAISE EXCEPTION 'start must be earliest or latest (got %)', coalesce(quote_literal(p_start), 'NULL')
            USING ERRCODE = '22023', HINT = 'earliest: every event in the outbox; latest: events from now on.';
    END IF;
    v_exists := EXISTS (SELECT 1 FROM outreach.outbox_consumers c WHERE c.consumer = p_consumer);
    PERFORM outreach._outbox_consumer(p_consumer, p_destination, false);
    UPDATE outreach.outbox_consumers c SET max_attempts = p_max_attempts WHERE c.consumer = p_consumer;
    IF NOT v_exists AND p_start = 'latest' THEN
        -- everything committed so far gets its position, and is behind the cursors
        PERFORM 1 FROM outreach.outbox_sequencer s FOR UPDATE;
        PERFORM outreach._outbox_sequence();
        SELECT s.last_position INTO v_last FROM outreach.outbox_sequencer s;
        UPDATE outreach.outbox_partitions p SET acked_upto = v_last, delivered_upto = v_last, lease_upto = v_last
         WHERE p.consumer = p_consumer;
    END IF;
END
$$;
COMMENT ON FUNCTION outreach.fn_outbox_register_consumer(text, text, integer, text) IS
    'Registers outbox consumer p_consumer for p_destination (or sets its max_attempts): p_start earliest (every event in the outbox, as a first claim does) or latest (events committed from now on). 22023 bad arguments or a consumer of another destination (docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_outbox_register_consumer(text, text, integer, text) TO outreach_governor;
