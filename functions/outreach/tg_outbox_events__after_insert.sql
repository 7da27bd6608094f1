-- outreach.tg_outbox_events__after_insert(): wake the consumers: one NOTIFY per destination a statement wrote
-- events for, on the destination's channel (docs/consuming-events.md). Per statement, NEW TABLE new_events.
CREATE OR REPLACE FUNCTION outreach.tg_outbox_events__after_insert()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
-- @plpgsql_check_options: newtable = new_events
-- Once per statement, not per row, with an empty payload: PostgreSQL folds
-- identical notifications of one transaction into one, delivered at commit
-- (none for a rollback). The consumer then claims; the notification carries
-- nothing it must not miss. A transaction that set outreach.outbox_wake to
-- 'after_commit' (execute_send's send transaction) gets none here: its client
-- sends them after the COMMIT with outreach.fn_outbox_wake, so that its
-- commit flush does not hold the cluster's notification lock.
BEGIN
    IF current_setting('outreach.outbox_wake', true) = 'after_commit' THEN
        RETURN NULL;
    END IF;
    PERFORM outreach._outbox_notify(ARRAY(SELECT DISTINCT n.destination FROM new_events n));
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_outbox_events__after_insert() IS
    'Trigger (AFTER INSERT ON outbox_events, per statement): outreach._outbox_notify for the destinations the statement wrote events for, unless the transaction set outreach.outbox_wake = ''after_commit'' (its client calls outreach.fn_outbox_wake after the COMMIT); LISTEN needs a direct connection (docs/consuming-events.md).';
