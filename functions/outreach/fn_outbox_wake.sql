-- outreach.fn_outbox_wake: the NOTIFY of a committed transaction that deferred it (outreach.outbox_wake =
-- 'after_commit'): one per destination it wrote events for, sent after its commit (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach.fn_outbox_wake(p_tx xid8)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- Why after commit: a transaction that notifies holds PostgreSQL's one
-- notification lock from its pre-commit to the end of its commit, WAL flush
-- included, so every notifying commit of the cluster waits for the previous
-- one's flush (no group commit). A send transaction that sets
-- outreach.outbox_wake to 'after_commit' leaves the NOTIFY to its client,
-- which calls this in a transaction of its own right after the COMMIT. That
-- one holds the lock for no flush: a NOTIFY gives it an xid, but a
-- transaction whose only WAL record is its commit record is not flushed at
-- commit, and synchronous_commit = off (set only when it has written nothing
-- before this call) keeps it so when these reads write WAL (page pruning).
-- The notification still carries nothing a consumer must not miss: a
-- wake-up lost in a crash, like a client that dies between its COMMIT and
-- this call, delays the consumers to their next poll.
-- It stays SECURITY DEFINER although it runs once per send: as its caller,
-- outreach_sender would have to be able to read the outbox's events.
-- One statement finds the destinations and notifies their channels, read
-- from outreach.outbox_destinations like outreach._outbox_notify (the events
-- trigger's) does, each once; in no particular order (each channel wakes
-- its own consumers), which spares a sort per send. The destinations
-- written come as one array (an init plan), not as a semi-join: that plan
-- cost more than the few rows it joins.
-- Called before p_tx committed, or for a transaction without events, it
-- finds nothing and notifies nothing.
DECLARE
    v_count integer;
BEGIN
    IF p_tx IS NULL THEN
        RAISE EXCEPTION 'p_tx must be the committed transaction''s pg_current_xact_id(), got NULL'
            USING ERRCODE = '22004', HINT = 'Pass the id its send transaction returned.';
    END IF;
    IF pg_current_xact_id_if_assigned() IS NULL THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;
    PERFORM pg_notify(d.channel, '')
       FROM outreach.outbox_destinations d
      WHERE d.destination = ANY (ARRAY(SELECT e.destination FROM outreach.outbox_events e WHERE e.tx = p_tx));
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION outreach.fn_outbox_wake(xid8) IS
    'pg_notify on the channel (outreach.outbox_destinations.channel) of each destination transaction p_tx wrote events for, in one statement; returns how many. Called right after the COMMIT of a transaction that deferred its NOTIFY with outreach.outbox_wake = ''after_commit'' (execute_send''s send transaction), so that no commit flush waits on the notification lock; first in its transaction it sets synchronous_commit = off for it (docs/consuming-events.md).';
REVOKE ALL ON FUNCTION outreach.fn_outbox_wake(xid8) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outreach.fn_outbox_wake(xid8) TO outreach_sender;
