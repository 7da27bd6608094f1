-- outreach._outbox_notify_now(): false when the transaction deferred its outbox NOTIFY (outreach.outbox_wake =
-- 'after_commit', execute_send's send transaction); the WHEN of the events' trigger (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach._outbox_notify_now()
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
-- Why a function, not the comparison written in the trigger's WHEN:
-- PostgreSQL reads a trigger's WHEN back from its stored node text and
-- plans it again for every statement that writes the table, and that text
-- spells each string constant out byte by byte; the comparison's two
-- strings made it the costliest part of the send path's event insert. A
-- call of this function is a short text, and a compiled PL/pgSQL function
-- keeps its body for the session. PL/pgSQL, not an inlinable SQL function
-- (inlining parses the body for every statement); no SET clause (a GUC
-- save and restore per call), not SECURITY DEFINER (it reads a setting).
-- Called by a trigger's WHEN, without a SET clause: every name below is schema-qualified.
-- A setting never set in this session is NULL, one set only for an ended
-- transaction is '': both notify now.
BEGIN
    RETURN COALESCE(pg_catalog.current_setting('outreach.outbox_wake', true), '') OPERATOR(pg_catalog.<>) 'after_commit';
END
$$;
COMMENT ON FUNCTION outreach._outbox_notify_now() IS
    'Internal: true unless this transaction set outreach.outbox_wake = ''after_commit'' (its client wakes the consumers after the COMMIT with outreach.fn_outbox_wake); the WHEN of the events'' trigger trg_outbox_events_800_notify (docs/consuming-events.md).';
REVOKE ALL ON FUNCTION outreach._outbox_notify_now() FROM PUBLIC;
