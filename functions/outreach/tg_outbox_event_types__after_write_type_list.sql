-- outreach.tg_outbox_event_types__after_write_type_list(): keeps the events' generated type list equal to
-- outreach.outbox_event_types after any statement that writes it (docs/reference/outbox.md).
CREATE OR REPLACE FUNCTION outreach.tg_outbox_event_types__after_write_type_list()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM outreach._write_outbox_event_type_list();
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_outbox_event_types__after_write_type_list() IS
    'Trigger (statement-level AFTER INSERT, UPDATE, DELETE, TRUNCATE on outreach.outbox_event_types): rewrites the events'' type list by outreach._write_outbox_event_type_list(), in the same transaction.';
