-- outreach.fn_outbox_nack: a consumer gives back events it claimed and could not handle: their shards come
-- back after p_retry_in, the failed event first (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach.fn_outbox_nack(
    p_consumer text,
    p_ids bigint[],
    p_retry_in interval DEFAULT interval '0',
    p_error text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- Events stay in order per company, so a give-back holds the event's whole
-- shard until now() + p_retry_in (a shorter or longer lease than the claim's);
-- then the shard's unacknowledged events come back, one at a time, and each
-- delivery counts an attempt. p_error is kept with the event (and shown
-- when it is parked). Returns how many events were given back (an event
-- acknowledged or parked already counts 0).
DECLARE
    v_c outreach.outbox_consumers;
    r record;
    v_count integer := 0;
    v_n integer;
BEGIN
    IF p_retry_in IS NULL OR p_retry_in < interval '0' OR p_retry_in > interval '1 day' THEN
        RAISE EXCEPTION 'p_retry_in must be 0 to 1 day (got %)', coalesce(p_retry_in::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'How long the events'' shard waits before they are delivered again.';
    END IF;
    v_c := outreach._outbox_consumer(p_consumer);
    FOR r IN SELECT x.shard, x.positions FROM outreach._outbox_positions(v_c, p_ids) AS x LOOP
        PERFORM 1 FROM outreach.outbox_partitions p
         WHERE p.consumer = v_c.consumer AND p.shard = r.shard
           FOR UPDATE;
        WITH given_back AS (
            INSERT INTO outreach.outbox_deliveries AS d (consumer, shard, position, event_id, last_error)
            SELECT v_c.consumer, r.shard, l.position, l.event_id, left(p_error, 2000)
              FROM outreach.outbox_log l
              JOIN outreach.outbox_partitions p ON p.consumer = v_c.consumer AND p.shard = l.shard
             WHERE l.destination = v_c.destination AND l.shard = r.shard
               AND l.position = ANY (r.positions) AND l.position > p.acked_upto
               AND NOT EXISTS (SELECT 1 FROM outreach.outbox_parked pk
                                WHERE pk.consumer = v_c.consumer AND pk.shard = r.shard AND pk.position = l.position)
            ON CONFLICT (consumer, shard, position)
               DO UPDATE SET last_error = EXCLUDED.last_error, last_attempt_at = now()
               WHERE d.acked_at IS NULL
            RETURNING 1)
        SELECT count(*) INTO v_n FROM given_back;
        IF v_n > 0 THEN
            UPDATE outreach.outbox_partitions p
               SET leased_until = now() + p_retry_in
             WHERE p.consumer = v_c.consumer AND p.shard = r.shard;
        END IF;
        v_count := v_count + v_n;
    END LOOP;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION outreach.fn_outbox_nack(text, bigint[], interval, text) IS
    'Gives back events a consumer claimed: their shard is delivered again after p_retry_in (0..1 day), the failed event first and alone, p_error kept with it; returns how many were given back. 22023 bad arguments or an id never delivered to the consumer, 42501 a caller not in the destination''s reader role (docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_outbox_nack(text, bigint[], interval, text) TO outreach_cl_authority, outreach_consumer;
