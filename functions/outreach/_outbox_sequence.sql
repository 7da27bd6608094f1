-- outreach._outbox_sequence: give the events committed since the last run their delivery position
-- (outreach.outbox_log), in commit-consistent order; run by every claim (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach._outbox_sequence()
RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- Event ids are taken when a row is written, not when it commits: a claim
-- that followed event_id would step over an event whose transaction commits
-- after a later id was delivered, and lose it. So positions are given after
-- commit: each run takes every event visible now that has none yet, in
-- event_id order. An event whose transaction committed before another event
-- was written is visible no later than that one, so it never gets the higher
-- position: a company's events keep their order.
-- The horizon: every transaction older than the snapshot's xmin has ended,
-- so after a run every committed event with tx < xmin has its position, and
-- the next run only looks at tx >= that xmin (outbox_events_tx_idx).
-- One run at a time: the sequencer row's lock, skipped rather than waited
-- for (a claim then serves what is sequenced already). Returns the events
-- sequenced, or NULL when another run holds the lock. A claim calls it only
-- when it sees an event without a position.
DECLARE
    v_horizon xid8;
    v_last bigint;
    v_count bigint;
    v_max bigint;
    v_xmin xid8;
BEGIN
    SELECT s.horizon, s.last_position INTO v_horizon, v_last
      FROM outreach.outbox_sequencer s
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- one statement, one snapshot: the candidates and the xmin that becomes the horizon
    WITH candidates AS (
        SELECT e.event_id, e.destination, e.shard
          FROM outreach.outbox_events e
         WHERE e.tx >= v_horizon
           AND NOT EXISTS (SELECT 1 FROM outreach.outbox_log l WHERE l.event_id = e.event_id)
    ), sequenced AS (
        INSERT INTO outreach.outbox_log (destination, shard, position, event_id)
        SELECT c.destination, c.shard, v_last + row_number() OVER (ORDER BY c.event_id), c.event_id
          FROM candidates c
        RETURNING outreach.outbox_log.position
    )
    SELECT count(*), max(s.position), pg_snapshot_xmin(pg_current_snapshot())
      INTO v_count, v_max, v_xmin
      FROM sequenced s;
    UPDATE outreach.outbox_sequencer s
       SET horizon = greatest(s.horizon, v_xmin),
           last_position = coalesce(v_max, s.last_position),
           sequenced_at = now();
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION outreach._outbox_sequence() IS
    'Internal: gives every committed event without a position one (outreach.outbox_log), in event_id order among the events visible now, so that no late commit is skipped and a company''s events keep their order; one run at a time (NULL: another run holds the sequencer).';
