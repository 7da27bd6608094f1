-- outreach.outbox_events: one AFTER INSERT statement trigger (trg_outbox_events_800_notify) checks the event types
-- and wakes the consumers; the separate type trigger and its function go (docs/reference/outbox.md).
-- depends: 1470_company_eligibility_plan_order
SET LOCAL search_path = pg_catalog, pg_temp;

-- Every send's statement paid two trigger calls and two PL/pgSQL entries;
-- outreach.tg_outbox_events__after_insert (re-applied from functions/) now
-- does both, the type check first, with the same 23503.
DROP TRIGGER IF EXISTS trg_outbox_events_100_type ON outreach.outbox_events;
DROP FUNCTION IF EXISTS outreach.tg_outbox_events__after_insert_type();
