-- outreach._outbox_positions: where the events a consumer acknowledges or gives back are in the delivery
-- order (shard, position); 22023 naming the first id that was never delivered to it (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach._outbox_positions(p_consumer outreach.outbox_consumers, p_ids bigint[])
RETURNS TABLE (shard smallint, positions bigint[])
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_bad bigint;
    v_why text;
BEGIN
    IF p_ids IS NULL OR array_position(p_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'event ids must not be NULL'
            USING ERRCODE = '22023', HINT = 'Pass the event_id values outreach.fn_outbox_claim returned.';
    END IF;
    -- an id of another destination, or not sequenced yet, was never delivered;
    -- nor was one beyond what the consumer's shard handed out. An archived one
    -- was acknowledged already: it is left out.
    SELECT u.id,
           CASE WHEN e.event_id IS NULL AND a.event_id IS NULL THEN 'there is no such event'
                WHEN coalesce(e.destination, a.destination) <> p_consumer.destination
                    THEN format('it is an event of destination %s; the consumer reads %s', coalesce(e.destination, a.destination),
                                p_consumer.destination)
                ELSE 'it has not been claimed by this consumer yet' END
      INTO v_bad, v_why
      FROM unnest(p_ids) AS u(id)
      LEFT JOIN outreach.outbox_log l ON l.event_id = u.id AND l.destination = p_consumer.destination
      LEFT JOIN outreach.outbox_partitions p ON p.consumer = p_consumer.consumer AND p.shard = l.shard
      LEFT JOIN outreach.outbox_events e ON e.event_id = u.id
      LEFT JOIN outreach.outbox_events_archive a ON a.event_id = u.id
     WHERE (l.event_id IS NULL
            -- archived: every consumer of its destination had acknowledged it
            AND NOT (a.event_id IS NOT NULL AND a.destination = p_consumer.destination))
        OR l.position > p.delivered_upto
     LIMIT 1;
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'event % was not delivered to outbox consumer %', v_bad, quote_literal(p_consumer.consumer)
            USING ERRCODE = '22023', DETAIL = v_why,
                  HINT = 'Acknowledge or give back only the event_id values outreach.fn_outbox_claim returned to this consumer.';
    END IF;
    RETURN QUERY
        SELECT l.shard, array_agg(DISTINCT l.position ORDER BY l.position)
          FROM unnest(p_ids) AS u(id)
          JOIN outreach.outbox_log l ON l.event_id = u.id AND l.destination = p_consumer.destination
         GROUP BY l.shard
         ORDER BY l.shard;
END
$$;
COMMENT ON FUNCTION outreach._outbox_positions(outreach.outbox_consumers, bigint[]) IS
    'Internal: the (shard, positions) of event ids a consumer acknowledges or gives back, shards in ascending order (archived ones, acknowledged already, left out); 22023 naming the first id never delivered to it (unknown, another destination, not claimed yet).';
