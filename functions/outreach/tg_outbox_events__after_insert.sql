-- outreach.tg_outbox_events__after_insert(): per statement, one NOTIFY per destination written, on its channel
-- (docs/consuming-events.md). NEW TABLE new_events. The event types are checked by the CHECK outbox_events_type_listed.
CREATE OR REPLACE FUNCTION outreach.tg_outbox_events__after_insert()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- @plpgsql_check_options: newtable = new_events
-- The NOTIFY: once per statement, not per row, with an empty payload;
-- PostgreSQL folds identical notifications of one transaction into one,
-- delivered at commit (none for a rollback). The consumer then claims; the
-- notification carries nothing it must not miss. A transaction that set
-- outreach.outbox_wake to 'after_commit' (execute_send's send transaction)
-- does not run this at all (the trigger's WHEN): its client sends the
-- notifications after the COMMIT with outreach.fn_outbox_wake, so that its
-- commit flush does not hold the cluster's notification lock.
BEGIN
    PERFORM outreach._outbox_notify(ARRAY(SELECT DISTINCT n.destination FROM new_events n));
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_outbox_events__after_insert() IS
    'Trigger (AFTER INSERT ON outbox_events, per statement, unless the transaction set outreach.outbox_wake = ''after_commit'', whose client calls outreach.fn_outbox_wake after the COMMIT): outreach._outbox_notify for the destinations the statement wrote events for; LISTEN needs a direct connection (docs/consuming-events.md).';
