-- outreach.outbox_events checks its event type without locking it: the foreign key to outbox_event_types gives
-- way to a statement trigger (docs/reference/outbox.md); the types themselves are never removed or renamed.
-- depends: 1100_outbox
SET LOCAL search_path = pg_catalog, pg_temp;

-- Why: a foreign key check locks the referenced row FOR KEY SHARE, and every
-- send writes events of the same two types, so concurrent sends each turned
-- those two rows' lock into a new MultiXact (a WAL record and an exclusive
-- lock on their page) per event: the largest part of what the outbox cost the
-- send path. The rule stays, without the lock: trg_outbox_events_100_type
-- refuses an unknown type (23503, as the key did), and
-- trg_outbox_event_types_100_keep refuses to delete, rename or truncate a type,
-- so that a type an event was checked against cannot disappear after the check.
ALTER TABLE outreach.outbox_events DROP CONSTRAINT outbox_events_type_fkey;
