-- outreach.outbox_events: the event-type check becomes the CHECK outbox_events_type_listed over a generated constant
-- list (outreach._outbox_event_type_listed); trg_outbox_events_800_notify only notifies (docs/reference/outbox.md).
-- depends: 1521_company_eligibility_input_columns_gone
SET LOCAL search_path = pg_catalog, pg_temp;

-- Why: the statement trigger that checked every event's type cost each send
-- a trigger call and a PL/pgSQL entry even when it had nothing to notify
-- (execute_send defers its wake-up). A CHECK calling a constant list costs
-- a function call per event.
-- The function's real body is written by outreach._write_outbox_event_type_list
-- (functions/), which `pyctl migrate` runs later in this same transaction; until
-- then this placeholder refuses every event, so that no event is ever written
-- unchecked. (Its SET clause goes when it is replaced.)
CREATE OR REPLACE FUNCTION outreach._outbox_event_type_listed(p_destination text, p_event_type text)
RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS 'BEGIN RETURN false; END';
REVOKE ALL ON FUNCTION outreach._outbox_event_type_listed(text, text) FROM PUBLIC;

-- NOT VALID: the events already stored were checked by the trigger when they
-- were written and are never re-read or rewritten here, so adding the
-- constraint holds the table's ACCESS EXCLUSIVE lock only for the catalog
-- change, however many events it holds. Every new event is checked.
ALTER TABLE outreach.outbox_events
    ADD CONSTRAINT outbox_events_type_listed CHECK (outreach._outbox_event_type_listed(destination, event_type)) NOT VALID;
