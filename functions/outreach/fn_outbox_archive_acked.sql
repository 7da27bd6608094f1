-- outreach.fn_outbox_archive_acked: retention: events every consumer of their destination acknowledged, older
-- than the retention age, move to outreach.outbox_events_archive in batches (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach.fn_outbox_archive_acked(
    p_older_than interval DEFAULT NULL,
    p_batch_size integer DEFAULT 10000,
    p_max_batches integer DEFAULT NULL)
RETURNS TABLE (destination text, archived bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
-- never queue behind a long lock: fail fast, the next run retries
SET lock_timeout = '1s'
AS $$
-- The age: p_older_than, else the setting outreach.outbox_retention (e.g.
-- ALTER DATABASE ... SET outreach.outbox_retention = '3 days'), else a week,
-- by recorded_at. Acknowledged by every consumer: at or before each
-- consumer's cursor in the event's shard, and parked by none (a parked event
-- stays until an operator resolves it). A destination without consumers
-- keeps all of its events.
-- As shq.fn_archive_expired_errors does: one statement per batch (DELETE ...
-- RETURNING feeding the INSERT, so a row is in exactly one of the two
-- tables), batches walk each shard's positions upwards (keyset), deleted =
-- inserted is checked per batch. The deletion is the table's registered
-- retention (shq.guarded_tables): this function sanctions itself, and the
-- seal chain keeps a tombstone of every row it moves.
DECLARE
    v_age interval;
    v_cutoff timestamptz;
    v_dest text;
    v_shard smallint;
    v_upto bigint;
    v_after bigint;
    v_moved bigint;
    v_inserted bigint;
    v_unlogged bigint;
    v_last bigint;
    v_total bigint;
    v_batches integer;
BEGIN
    v_age := coalesce(p_older_than, nullif(current_setting('outreach.outbox_retention', true), '')::interval,
                      interval '1 week');
    IF v_age < interval '0' THEN
        RAISE EXCEPTION 'the retention age must not be negative (got %)', v_age
            USING ERRCODE = '22023', HINT = 'Events acknowledged longer ago than this are archived; a week is the default.';
    END IF;
    PERFORM shq._check_batch_limits(p_batch_size, p_max_batches);
    v_cutoff := now() - v_age;
    PERFORM shq.fn_sanction('outreach.fn_outbox_archive_acked');

    FOR v_dest IN SELECT d.destination FROM outreach.outbox_destinations d ORDER BY d.destination LOOP
        v_total := 0;
        v_batches := 0;
        -- per shard, the lowest cursor of the destination's consumers
        FOR v_shard, v_upto IN
            SELECT p.shard, min(p.acked_upto)
              FROM outreach.outbox_partitions p
              JOIN outreach.outbox_consumers c ON c.consumer = p.consumer
             WHERE c.destination = v_dest
             GROUP BY p.shard
             ORDER BY p.shard
        LOOP
            v_after := 0;
            LOOP
                EXIT WHEN p_max_batches IS NOT NULL AND v_batches >= p_max_batches;
                WITH batch AS (
                    SELECT l.position, l.event_id
                      FROM outreach.outbox_log l
                      JOIN outreach.outbox_events e ON e.event_id = l.event_id
                     WHERE l.destination = v_dest AND l.shard = v_shard
                       AND l.position > v_after AND l.position <= v_upto
                       AND e.recorded_at < v_cutoff
                       AND NOT EXISTS (SELECT 1 FROM outreach.outbox_parked pk
                                        WHERE pk.event_id = l.event_id AND pk.resolved_at IS NULL)
                     ORDER BY l.position
                     LIMIT p_batch_size
                ), moved AS (
                    DELETE FROM outreach.outbox_events e USING batch b
                     WHERE e.event_id = b.event_id
                    RETURNING e.*
                ), archived AS (
                    INSERT INTO outreach.outbox_events_archive (event_id, destination, event_type, company_unique_id,
                                                                outreach_id, payload, occurred_at, recorded_at,
                                                                shard, tx)
                    SELECT m.event_id, m.destination, m.event_type, m.company_unique_id, m.outreach_id, m.payload,
                           m.occurred_at, m.recorded_at, m.shard, m.tx
                      FROM moved m
                    RETURNING 1
                ), unlogged AS (
                    DELETE FROM outreach.outbox_log l USING moved m
                     WHERE l.event_id = m.event_id
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM archived), (SELECT count(*) FROM unlogged),
                       (SELECT max(b.position) FROM batch b)
                  INTO v_moved, v_inserted, v_unlogged, v_last;
                IF v_moved <> v_inserted OR v_moved <> v_unlogged THEN
                    RAISE EXCEPTION 'outbox retention moved % events but archived % and unlogged %', v_moved,
                            v_inserted, v_unlogged
                        USING ERRCODE = 'P0004',
                              HINT = 'Something suppressed rows; the batch was rolled back, nothing is lost.';
                END IF;
                EXIT WHEN v_last IS NULL;
                v_batches := v_batches + 1;
                v_total := v_total + v_moved;
                v_after := v_last;
            END LOOP;
        END LOOP;
        destination := v_dest;
        archived := v_total;
        RETURN NEXT;
    END LOOP;
    PERFORM shq.fn_sanction('');
END
$$;
COMMENT ON FUNCTION outreach.fn_outbox_archive_acked(interval, integer, integer) IS
    'Outbox retention: events acknowledged by every consumer of their destination (and parked by none), recorded longer ago than p_older_than (else the setting outreach.outbox_retention, else a week), move to outreach.outbox_events_archive, one DELETE..RETURNING -> INSERT statement per batch of p_batch_size, keyset by shard and position, lock_timeout 1s; one row per destination (docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_outbox_archive_acked(interval, integer, integer) TO outreach_governor;
