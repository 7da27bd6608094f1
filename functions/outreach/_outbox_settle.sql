-- outreach._outbox_settle: record a consumer's acknowledgements in one shard and move its cursor over
-- every event that is now acknowledged or parked (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach._outbox_settle(
    p_consumer text,
    p_destination text,
    p_shard smallint,
    p_positions bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- It locks the partition row (concurrent acknowledgements of one shard
-- queue); the caller has checked that every position was delivered
-- (<= delivered_upto) and locks shards in ascending order. The cursor acked_upto moves to
-- just before the first position still open (delivered, neither acknowledged
-- nor parked, nor acknowledged now); acknowledgements beyond it are noted in
-- outreach.outbox_deliveries until the cursor reaches them. A shard is
-- released as soon as everything its current claim handed out (up to
-- lease_upto) is settled; events an earlier, expired claim handed out come
-- back one at a time with the next claims. Returns how many of
-- p_positions were acknowledged now (not before).
DECLARE
    v_acked_upto bigint;
    v_delivered_upto bigint;
    v_first_open bigint;
    v_cursor bigint;
    v_new integer;
    v_noted boolean;
BEGIN
    SELECT p.acked_upto, p.delivered_upto INTO v_acked_upto, v_delivered_upto
      FROM outreach.outbox_partitions p
     WHERE p.consumer = p_consumer AND p.shard = p_shard
       FOR UPDATE;

    -- no note beyond the cursor (the usual case: nothing acknowledged out of
    -- order, given back or parked) spares a lookup per position
    v_noted := EXISTS (SELECT 1 FROM outreach.outbox_deliveries d
                        WHERE d.consumer = p_consumer AND d.shard = p_shard AND d.position > v_acked_upto)
            OR EXISTS (SELECT 1 FROM outreach.outbox_parked pk
                        WHERE pk.consumer = p_consumer AND pk.shard = p_shard AND pk.position > v_acked_upto);
    IF NOT v_noted THEN
        SELECT count(DISTINCT u.pos) INTO v_new FROM unnest(p_positions) AS u(pos) WHERE u.pos > v_acked_upto;
        SELECT min(l.position) INTO v_first_open
          FROM outreach.outbox_log l
         WHERE l.destination = p_destination AND l.shard = p_shard
           AND l.position > v_acked_upto AND l.position <= v_delivered_upto
           AND l.position <> ALL (p_positions);
    ELSE
        SELECT count(*) INTO v_new
          FROM (SELECT DISTINCT u.pos FROM unnest(p_positions) AS u(pos) WHERE u.pos > v_acked_upto) AS m
         WHERE NOT EXISTS (SELECT 1 FROM outreach.outbox_deliveries d
                            WHERE d.consumer = p_consumer AND d.shard = p_shard AND d.position = m.pos
                              AND d.acked_at IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM outreach.outbox_parked pk
                            WHERE pk.consumer = p_consumer AND pk.shard = p_shard AND pk.position = m.pos);
        SELECT min(l.position) INTO v_first_open
          FROM outreach.outbox_log l
         WHERE l.destination = p_destination AND l.shard = p_shard
           AND l.position > v_acked_upto AND l.position <= v_delivered_upto
           AND l.position <> ALL (p_positions)
           AND NOT EXISTS (SELECT 1 FROM outreach.outbox_deliveries d
                            WHERE d.consumer = p_consumer AND d.shard = p_shard AND d.position = l.position
                              AND d.acked_at IS NOT NULL)
           AND NOT EXISTS (SELECT 1 FROM outreach.outbox_parked pk
                            WHERE pk.consumer = p_consumer AND pk.shard = p_shard AND pk.position = l.position);
    END IF;
    v_cursor := coalesce(v_first_open - 1, v_delivered_upto);

    -- usually none: the acknowledgement closed the claim's whole range
    IF EXISTS (SELECT 1 FROM unnest(p_positions) AS u(pos) WHERE u.pos > v_cursor) THEN
        INSERT INTO outreach.outbox_deliveries AS d (consumer, shard, position, event_id, acked_at)
        SELECT p_consumer, p_shard, l.position, l.event_id, now()
          FROM unnest(p_positions) AS u(pos)
         CROSS JOIN LATERAL (SELECT ll.position, ll.event_id FROM outreach.outbox_log ll
                              WHERE ll.destination = p_destination AND ll.shard = p_shard AND ll.position = u.pos
                             OFFSET 0) AS l
         WHERE u.pos > v_cursor
        ON CONFLICT (consumer, shard, position) DO UPDATE SET acked_at = coalesce(d.acked_at, EXCLUDED.acked_at);
    END IF;
    IF v_noted AND v_cursor > v_acked_upto THEN
        DELETE FROM outreach.outbox_deliveries d
         WHERE d.consumer = p_consumer AND d.shard = p_shard AND d.position <= v_cursor;
    END IF;
    UPDATE outreach.outbox_partitions p
       SET acked_upto = greatest(p.acked_upto, v_cursor),
           leased_until = CASE WHEN v_cursor >= p.lease_upto THEN NULL ELSE p.leased_until END
     WHERE p.consumer = p_consumer AND p.shard = p_shard;
    RETURN v_new;
END
$$;
COMMENT ON FUNCTION outreach._outbox_settle(text, text, smallint, bigint[]) IS
    'Internal: acknowledges p_positions (delivered positions of one shard) for a consumer, moves its cursor over the settled prefix and releases the shard once everything its current claim handed out is settled; returns how many were acknowledged now.';
