-- outreach._outbox_settle: record a consumer's acknowledgements in one shard and move its cursor over
-- every event that is now acknowledged or parked (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach._outbox_settle(
    p_consumer text,
    p_destination text,
    p_shard smallint,
    p_positions bigint[])
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
-- The caller holds the partition row's lock and has checked that every
-- position was delivered (<= delivered_upto). The cursor acked_upto moves to
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
BEGIN
    SELECT p.acked_upto, p.delivered_upto INTO v_acked_upto, v_delivered_upto
      FROM outreach.outbox_partitions p
     WHERE p.consumer = p_consumer AND p.shard = p_shard;

    SELECT count(*) INTO v_new
      FROM (SELECT DISTINCT u.pos FROM unnest(p_positions) AS u(pos) WHERE u.pos > v_acked_upto) AS m
     WHERE NOT EXISTS (SELECT 1 FROM outreach.outbox_deliveries d
                        WHERE d.consumer = p_consumer AND d.shard = p_shard AND d.position = m.pos
                          AND d.acked_at IS NOT NULL)
       AND NOT EXISTS (SELECT 1 FROM outreach.outbox_parked pk
                        WHERE pk.consumer = p_consumer AND pk.shard = p_shard AND pk.position = m.pos);

    SELECT min(l.position) INTO v_first_open
      FROM outreach.outbox_log l
      LEFT JOIN outreach.outbox_deliveries d
             ON d.consumer = p_consumer AND d.shard = p_shard AND d.position = l.position
     WHERE l.destination = p_destination AND l.shard = p_shard
       AND l.position > v_acked_upto AND l.position <= v_delivered_upto
       AND l.position <> ALL (p_positions)
       AND d.acked_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM outreach.outbox_parked pk
                        WHERE pk.consumer = p_consumer AND pk.shard = p_shard AND pk.position = l.position);
    v_cursor := coalesce(v_first_open - 1, v_delivered_upto);

    INSERT INTO outreach.outbox_deliveries AS d (consumer, shard, position, event_id, acked_at)
    SELECT p_consumer, p_shard, l.position, l.event_id, now()
      FROM outreach.outbox_log l
     WHERE l.destination = p_destination AND l.shard = p_shard
       AND l.position = ANY (p_positions) AND l.position > v_cursor
    ON CONFLICT (consumer, shard, position) DO UPDATE SET acked_at = coalesce(d.acked_at, EXCLUDED.acked_at);
    IF v_cursor > v_acked_upto THEN
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
