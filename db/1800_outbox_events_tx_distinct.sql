-- outreach.outbox_events.tx: its statistics say that a transaction writes a few events (n_distinct = -0.5, half as
-- many transactions as events), so that the wake-up's lookup by tx keeps one generic plan (docs/reference/outbox.md).
-- depends: 1720_state_history_keys_fixed
SET LOCAL search_path = pg_catalog, pg_temp;

-- Why: outreach.fn_outbox_wake looks its transaction's events up by
-- `tx = p_tx`, once per send. ANALYZE estimates the distinct values of tx
-- from a sample, and after a bulk load (the seed, a backfill: thousands of
-- events in one transaction) it finds only a handful; the equality's generic
-- estimate is then a large share of the table, every execution of the
-- lookup is planned again as a custom plan, and that planning was the
-- larger part of the wake-up. The events written one change at a time are
-- what the estimate is for: a send writes two, an engagement or a status
-- change one. The option only steers the planner's estimate of tx = value.
ALTER TABLE outreach.outbox_events ALTER COLUMN tx SET (n_distinct = -0.5);

-- The option is read by ANALYZE: without this, an existing database would keep
-- its old estimate until autovacuum analyzes the table again. ANALYZE reads a
-- sample of the table, not all of it.
ANALYZE outreach.outbox_events;
