-- outreach.tg_outbox_events__after_insert(): per statement, every event's (destination, event_type) is a listed type
-- (23503), then one NOTIFY per destination written, on its channel (docs/consuming-events.md). NEW TABLE new_events.
CREATE OR REPLACE FUNCTION outreach.tg_outbox_events__after_insert()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- @plpgsql_check_options: newtable = new_events
-- One trigger for both, not two: every send's statement pays one trigger
-- call and one PL/pgSQL entry, not two.
-- The type check is not a foreign key: its check would lock the type's row
-- FOR KEY SHARE, and every send writes the same two types, so concurrent
-- sends queued on those rows. Reading them without a lock is safe because a
-- type is never removed or renamed (tg_outbox_event_types__before_change).
-- The NOTIFY: once per statement, not per row, with an empty payload;
-- PostgreSQL folds identical notifications of one transaction into one,
-- delivered at commit (none for a rollback). The consumer then claims; the
-- notification carries nothing it must not miss. A transaction that set
-- outreach.outbox_wake to 'after_commit' (execute_send's send transaction)
-- gets none here: its client sends them after the COMMIT with
-- outreach.fn_outbox_wake, so that its commit flush does not hold the
-- cluster's notification lock.
DECLARE
    v_destination text;
    v_event_type text;
BEGIN
    SELECT n.destination, n.event_type INTO v_destination, v_event_type
      FROM new_events n
     WHERE NOT EXISTS (SELECT 1 FROM outreach.outbox_event_types t
                        WHERE t.destination = n.destination AND t.event_type = n.event_type)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'outbox event type (%, %) is not in outreach.outbox_event_types',
                quote_nullable(v_destination), quote_nullable(v_event_type)
            USING ERRCODE = '23503',
                  HINT = 'Write an event of a listed type, or add the type to outreach.outbox_event_types first.';
    END IF;
    IF current_setting('outreach.outbox_wake', true) = 'after_commit' THEN
        RETURN NULL;
    END IF;
    PERFORM outreach._outbox_notify(ARRAY(SELECT DISTINCT n.destination FROM new_events n));
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_outbox_events__after_insert() IS
    'Trigger (AFTER INSERT ON outbox_events, per statement): 23503 when an event''s (destination, event_type) is not a row of outreach.outbox_event_types (checked without locking the type); then outreach._outbox_notify for the destinations the statement wrote events for, unless the transaction set outreach.outbox_wake = ''after_commit'' (its client calls outreach.fn_outbox_wake after the COMMIT); LISTEN needs a direct connection (docs/consuming-events.md).';
