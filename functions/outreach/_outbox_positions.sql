-- outreach._outbox_positions: where the events a consumer acknowledges or gives back are in the delivery
-- order (shard, position); 22023 naming the first id that was never delivered to it (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach._outbox_positions(p_consumer outreach.outbox_consumers, p_ids bigint[])
RETURNS TABLE (shard smallint, positions bigint[])
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_found bigint[];
    v_shards smallint[];
    v_positions bigint[];
    v_bad bigint;
    v_why text;
BEGIN
    IF p_ids IS NULL OR array_position(p_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'event ids must not be NULL'
            USING ERRCODE = '22023', HINT = 'Pass the event_id values outreach.fn_outbox_claim returned.';
    END IF;
    -- the ids the consumer was handed: first where a claim puts them, in the
    -- delivered, unsettled range of its shards (a few short index ranges)
    SELECT coalesce(array_agg(l.event_id), '{}'), coalesce(array_agg(l.shard), '{}'),
           coalesce(array_agg(l.position), '{}')
      INTO v_found, v_shards, v_positions
      FROM outreach.outbox_partitions p
     CROSS JOIN LATERAL (SELECT ll.event_id, ll.shard, ll.position FROM outreach.outbox_log ll
                          WHERE ll.destination = p_consumer.destination AND ll.shard = p.shard
                            AND ll.position > p.acked_upto AND ll.position <= p.delivered_upto
                            AND ll.event_id = ANY (p_ids) OFFSET 0) AS l
     WHERE p.consumer = p_consumer.consumer AND p.delivered_upto > p.acked_upto;
    IF cardinality(v_found) < (SELECT count(DISTINCT u.id) FROM unnest(p_ids) AS u(id)) THEN
        -- the others one by one (an acknowledgement the cursor passed already,
        -- or a mistake): events of the destination delivered to the consumer
        -- (LATERAL ... OFFSET 0: one index probe per id)
        SELECT v_found || coalesce(array_agg(l.event_id), '{}'), v_shards || coalesce(array_agg(l.shard), '{}'),
               v_positions || coalesce(array_agg(l.position), '{}')
          INTO v_found, v_shards, v_positions
          FROM (SELECT DISTINCT u.id FROM unnest(p_ids) AS u(id) WHERE u.id <> ALL (v_found)) AS u
         CROSS JOIN LATERAL (SELECT ll.event_id, ll.shard, ll.position FROM outreach.outbox_log ll
                              WHERE ll.event_id = u.id AND ll.destination = p_consumer.destination OFFSET 0) AS l
         WHERE l.position <= (SELECT p.delivered_upto FROM outreach.outbox_partitions p
                               WHERE p.consumer = p_consumer.consumer AND p.shard = l.shard);
    END IF;
    IF cardinality(v_found) < (SELECT count(DISTINCT u.id) FROM unnest(p_ids) AS u(id)) THEN
        -- why not: another destination's, not sequenced or claimed yet, or no
        -- such event. An archived one was acknowledged already: it is left out.
        SELECT u.id,
               CASE WHEN e.event_id IS NULL AND a.event_id IS NULL THEN 'there is no such event'
                    WHEN coalesce(e.destination, a.destination) <> p_consumer.destination
                        THEN format('it is an event of destination %s; the consumer reads %s',
                                    coalesce(e.destination, a.destination), p_consumer.destination)
                    ELSE 'it has not been claimed by this consumer yet' END
          INTO v_bad, v_why
          FROM unnest(p_ids) AS u(id)
          LEFT JOIN outreach.outbox_events e ON e.event_id = u.id
          LEFT JOIN outreach.outbox_events_archive a ON a.event_id = u.id
         WHERE u.id <> ALL (v_found)
           AND NOT (e.event_id IS NULL AND a.event_id IS NOT NULL AND a.destination = p_consumer.destination)
         LIMIT 1;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'event % was not delivered to outbox consumer %', v_bad, quote_literal(p_consumer.consumer)
                USING ERRCODE = '22023', DETAIL = v_why,
                      HINT = 'Acknowledge or give back only the event_id values outreach.fn_outbox_claim returned to this consumer.';
        END IF;
    END IF;
    RETURN QUERY
        SELECT x.shard, array_agg(x.pos ORDER BY x.pos)
          FROM unnest(v_shards, v_positions) AS x(shard, pos)
         GROUP BY x.shard
         ORDER BY x.shard;
END
$$;
COMMENT ON FUNCTION outreach._outbox_positions(outreach.outbox_consumers, bigint[]) IS
    'Internal: the (shard, positions) of event ids a consumer acknowledges or gives back, shards in ascending order (archived ones, acknowledged already, left out); 22023 naming the first id never delivered to it (unknown, another destination, not claimed yet).';
