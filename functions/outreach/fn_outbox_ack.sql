-- outreach.fn_outbox_ack: a consumer acknowledges events it claimed; they are not delivered to it again
-- (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach.fn_outbox_ack(p_consumer text, p_ids bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- Any order, any subset, as often as you like: an id acknowledged before
-- counts 0. A late acknowledgement (after the visibility timeout, even after
-- another claimer got the event) still counts: delivery is at least once.
-- Shards are locked in ascending order, so concurrent acknowledgements of
-- one consumer never deadlock.
DECLARE
    v_c outreach.outbox_consumers;
    r record;
    v_count integer := 0;
BEGIN
    v_c := outreach._outbox_consumer(p_consumer);
    FOR r IN SELECT x.shard, x.positions FROM outreach._outbox_positions(v_c, p_ids) AS x LOOP
        v_count := v_count + outreach._outbox_settle(v_c.consumer, v_c.destination, r.shard, r.positions);
    END LOOP;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION outreach.fn_outbox_ack(text, bigint[]) IS
    'Acknowledges events a consumer claimed (idempotent, any order); returns how many were acknowledged now. 22023 unknown consumer or an id never delivered to it, 42501 a caller not in the destination''s reader role (docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_outbox_ack(text, bigint[]) TO outreach_cl_authority, outreach_consumer;
