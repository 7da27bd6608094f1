-- outreach._outbox_shards: the shards of the outbox, 0..15: the values of outreach.outbox_events.shard,
-- hashtext(company_unique_id) & 15 (db/1100_outbox.sql). One partition per shard and consumer.
CREATE OR REPLACE FUNCTION outreach._outbox_shards()
RETURNS SETOF smallint
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s::smallint FROM generate_series(0, 15) AS s;
$$;
COMMENT ON FUNCTION outreach._outbox_shards() IS
    'Internal: the 16 shards of the outbox (outbox_events.shard = hashtext(company_unique_id) & 15); a consumer has one cursor per shard.';
