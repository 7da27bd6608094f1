-- Every statement that writes outreach.outbox_event_types rewrites the events' generated type list (the function the
-- CHECK outbox_events_type_listed calls) in the same transaction (docs/reference/outbox.md).
CREATE OR REPLACE TRIGGER trg_outbox_event_types_500_type_list
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON outreach.outbox_event_types
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_outbox_event_types__after_write_type_list();
