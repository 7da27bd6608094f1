-- outreach.tg_outbox_event_types__before_change(): an event type is never deleted, renamed or truncated:
-- events check their type without locking it (db/1150_outbox_event_types_unlocked.sql).
CREATE OR REPLACE FUNCTION outreach.tg_outbox_event_types__before_change()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
-- Refused whether events of the type exist or not: without a lock on the
-- type, "no event refers to it" could change before this transaction commits.
-- Its description and payload keys may change; a new type may be added.
DECLARE
    v_type text := CASE WHEN TG_OP = 'TRUNCATE' THEN 'no type (TRUNCATE)'
                        ELSE format('type (%s, %s)', OLD.destination, OLD.event_type) END;
BEGIN
    RAISE EXCEPTION 'outreach.outbox_event_types: % may be deleted or renamed: events refer to their type by name', v_type
        USING ERRCODE = '23503',
              HINT = 'Add a new type instead; a type that is no longer written stays listed.';
END
$$;
COMMENT ON FUNCTION outreach.tg_outbox_event_types__before_change() IS
    'Trigger (BEFORE DELETE, UPDATE OF destination, event_type, TRUNCATE ON outbox_event_types): 23503, always: outbox events check their type without a lock, so a type is never removed or renamed (docs/reference/outbox.md).';
