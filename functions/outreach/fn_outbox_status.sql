-- outreach.fn_outbox_status: per outbox consumer, the backlog, what is in flight, the oldest event not
-- acknowledged and the parked events (pyctl outbox status, the outreach_outbox metrics; docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach.fn_outbox_status()
RETURNS TABLE (destination text, consumer text, backlog bigint, in_flight bigint, parked bigint,
               oldest_unacked_at timestamptz, last_claimed_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    -- backlog: the consumer's events neither acknowledged nor parked, counted
    -- up to 100000 per shard and for the events not sequenced yet (a scrape
    -- must stay cheap when a consumer is far behind; any figure that large
    -- calls for action anyway). Read with index range scans only.
    WITH unsequenced AS (
        SELECT e.destination, count(*) AS n, min(e.recorded_at) AS oldest
          FROM (SELECT e.event_id, e.destination, e.recorded_at
                  FROM outreach.outbox_events e
                 WHERE e.tx >= (SELECT s.horizon FROM outreach.outbox_sequencer s)
                   AND NOT EXISTS (SELECT 1 FROM outreach.outbox_log l WHERE l.event_id = e.event_id)
                 LIMIT 100000) AS e
         GROUP BY e.destination
    ), per_shard AS (
        SELECT p.consumer, w.n, w.in_flight, p.last_claimed_at,
               (SELECT e.recorded_at
                  FROM outreach.outbox_log l
                  JOIN outreach.outbox_events e ON e.event_id = l.event_id
                 WHERE l.destination = c.destination AND l.shard = p.shard AND l.position = w.first_position) AS oldest
          FROM outreach.outbox_partitions p
          JOIN outreach.outbox_consumers c ON c.consumer = p.consumer
         CROSS JOIN LATERAL (
               SELECT count(*) AS n,
                      count(*) FILTER (WHERE x.position <= p.lease_upto AND p.leased_until > now()) AS in_flight,
                      min(x.position) AS first_position
                 FROM (SELECT l.position
                         FROM outreach.outbox_log l
                        WHERE l.destination = c.destination AND l.shard = p.shard AND l.position > p.acked_upto
                          AND NOT EXISTS (SELECT 1 FROM outreach.outbox_deliveries d
                                           WHERE d.consumer = p.consumer AND d.shard = p.shard
                                             AND d.position = l.position AND d.acked_at IS NOT NULL)
                          AND NOT EXISTS (SELECT 1 FROM outreach.outbox_parked pk
                                           WHERE pk.consumer = p.consumer AND pk.shard = p.shard
                                             AND pk.position = l.position)
                        ORDER BY l.position
                        LIMIT 100000) AS x) AS w
    ), per_consumer AS (
        SELECT s.consumer, sum(s.n)::bigint AS n, sum(s.in_flight)::bigint AS in_flight, min(s.oldest) AS oldest,
               max(s.last_claimed_at) AS last_claimed_at
          FROM per_shard s
         GROUP BY s.consumer
    )
    SELECT c.destination, c.consumer,
           pc.n + coalesce(u.n, 0),
           pc.in_flight,
           (SELECT count(*) FROM outreach.outbox_parked pk WHERE pk.consumer = c.consumer AND pk.resolved_at IS NULL),
           least(pc.oldest, u.oldest),
           pc.last_claimed_at
      FROM outreach.outbox_consumers c
      JOIN per_consumer pc ON pc.consumer = c.consumer
      LEFT JOIN unsequenced u ON u.destination = c.destination
     ORDER BY c.destination, c.consumer;
$$;
COMMENT ON FUNCTION outreach.fn_outbox_status() IS
    'Per outbox consumer: backlog (its events neither acknowledged nor parked, sequenced or not; counted up to 100000 per shard), in_flight (claimed, lease running), parked (unresolved), when the oldest unacknowledged event was recorded, when it last claimed (docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_outbox_status() TO outreach_governor, outreach_monitor;
