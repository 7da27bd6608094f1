-- outreach._raise_unknown_outbox_event_type(destination, event_type): the 23503 of an event whose type is not a row
-- of outreach.outbox_event_types; called only by the generated type list (docs/reference/outbox.md).
CREATE OR REPLACE FUNCTION outreach._raise_unknown_outbox_event_type(p_destination text, p_event_type text)
RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp
AS $$
-- Returns boolean only so that the generated list can return its result; it
-- never returns. STABLE like its caller (it reads and writes nothing). Apart
-- from the list, so that the message and hint are written once, here.
BEGIN
    RAISE EXCEPTION 'outbox event type (%, %) is not in outreach.outbox_event_types',
            quote_nullable(p_destination), quote_nullable(p_event_type)
        USING ERRCODE = '23503',
              HINT = 'Write an event of a listed type, or add the type to outreach.outbox_event_types first.';
END
$$;
COMMENT ON FUNCTION outreach._raise_unknown_outbox_event_type(text, text) IS
    'Internal: raises 23503 naming an outbox event type (destination, event_type) that is not a row of outreach.outbox_event_types; called by the generated outreach._outbox_event_type_listed (docs/reference/outbox.md).';
REVOKE ALL ON FUNCTION outreach._raise_unknown_outbox_event_type(text, text) FROM PUBLIC;
