-- outreach.fn_outbox_wake runs as its caller (no SECURITY DEFINER): outreach_sender reads exactly the columns the
-- wake-up reads, the destinations a transaction wrote events for and their channels (docs/consuming-events.md).
-- depends: 1800_outbox_events_tx_distinct
SET LOCAL search_path = pg_catalog, pg_temp;

-- Why: the wake-up runs once per send, right after its COMMIT, and as a
-- SECURITY DEFINER function with its pinned search_path it paid a GUC save,
-- a search path change and a restore on every call. As its caller it needs
-- these reads; they show which destinations each transaction wrote for and
-- where those are announced, nothing of an event's content (its type,
-- company or payload stay unreadable to the role).
GRANT SELECT (tx, destination) ON outreach.outbox_events TO outreach_sender;
GRANT SELECT (destination, channel) ON outreach.outbox_destinations TO outreach_sender;
