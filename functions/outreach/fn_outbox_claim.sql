-- outreach.fn_outbox_claim: take up to p_limit events of a destination for a consumer, for p_visibility;
-- at least once, in order per company (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach.fn_outbox_claim(
    p_consumer text,
    p_destination text,
    p_limit integer DEFAULT 100,
    p_visibility interval DEFAULT interval '30 seconds')
RETURNS TABLE (event_id bigint, event_type text, company_unique_id text, outreach_id uuid, payload jsonb,
               occurred_at timestamptz, recorded_at timestamptz, attempt integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- A consumer has a cursor per shard (a company's events share a shard). A
-- claim takes shards no other claimer holds (FOR UPDATE SKIP LOCKED on the
-- consumer's partition rows, then a lease until now() + p_visibility) and
-- hands out their next events in delivery order; no other claimer of the
-- consumer gets those events until the lease ends, by acknowledgement
-- (fn_outbox_ack), give-back (fn_outbox_nack) or timeout. Nothing is written
-- to the events themselves: another consumer of the destination has cursors
-- of its own and sees every event too.
-- An event handed out before and not acknowledged (its claimer died, timed
-- out or gave it back) comes back alone, as the only event of its shard in
-- the claim, so that only an event that fails again and again uses up its
-- attempts: on the claim after its max_attempts-th delivery it is parked
-- (outreach.outbox_parked, outreach.vw_outbox_parked) instead, and the shard
-- moves on.
DECLARE
    v_c outreach.outbox_consumers;
    v_part record;
    v_ev record;
    v_seen smallint[] := '{}'::smallint[];
    v_ids bigint[] := '{}'::bigint[];
    v_attempts integer[] := '{}'::integer[];
    v_taken integer;
    v_parked integer;
    v_last bigint;
    v_attempt integer;
    v_new bigint[];
    v_horizon xid8;
BEGIN
    -- A claim need not wait for its WAL flush: one lost in a crash only means
    -- its events are delivered again (at least once), and any later durable
    -- commit (an acknowledgement) makes it durable first, WAL being written in
    -- order. Only for a transaction that has written nothing before the claim
    -- (a claim in its own transaction, as it should be; a first claim's registration too).
    IF pg_current_xact_id_if_assigned() IS NULL THEN
        PERFORM set_config('synchronous_commit', 'off', true);
    END IF;

    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
        RAISE EXCEPTION 'p_limit must be 1..10000 (got %)', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'Claim a batch you can handle within p_visibility; 100 is the default.';
    END IF;
    IF p_visibility IS NULL OR p_visibility <= interval '0' OR p_visibility > interval '12 hours' THEN
        RAISE EXCEPTION 'p_visibility must be more than 0 and at most 12 hours (got %)', coalesce(p_visibility::text, 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'How long the claimed events stay invisible to other claimers; acknowledge them within it.';
    END IF;
    IF shq.fn_is_blank(p_destination) THEN
        RAISE EXCEPTION 'destination must not be NULL or blank'
            USING ERRCODE = '22023',
                  HINT = 'Use one of: ' || (SELECT string_agg(d.destination, ', ' ORDER BY d.destination)
                                              FROM outreach.outbox_destinations d) || '.';
    END IF;
    v_c := outreach._outbox_consumer(p_consumer, p_destination);
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'outreach.fn_outbox_claim must run in a READ COMMITTED transaction (this one is %)',
                current_setting('transaction_isolation')
            USING ERRCODE = '25000',
                  HINT = 'Claim in its own transaction (autocommit) at the default isolation level.';
    END IF;

    -- new events get their positions first; checked without a lock, so that
    -- a busy claimer locks and writes nothing when there are none (ORDER BY
    -- tx: the plan reads outbox_events_tx_idx from the horizon up)
    SELECT s.horizon INTO v_horizon FROM outreach.outbox_sequencer s;
    PERFORM 1 FROM outreach.outbox_events e
     WHERE e.tx >= v_horizon
       AND NOT EXISTS (SELECT 1 FROM outreach.outbox_log l WHERE l.event_id = e.event_id)
     ORDER BY e.tx
     LIMIT 1;
    IF FOUND THEN
        PERFORM outreach._outbox_sequence();
    END IF;

    LOOP
        EXIT WHEN cardinality(v_ids) >= p_limit;
        -- the next free shard with something past the cursor, least recently claimed first
        SELECT p.shard, p.acked_upto, p.delivered_upto INTO v_part
          FROM outreach.outbox_partitions p
         WHERE p.consumer = v_c.consumer
           AND (p.leased_until IS NULL OR p.leased_until <= now())
           AND p.shard <> ALL (v_seen)
           AND EXISTS (SELECT 1 FROM outreach.outbox_log l
                        WHERE l.destination = v_c.destination AND l.shard = p.shard AND l.position > p.acked_upto)
         ORDER BY p.last_claimed_at NULLS FIRST, p.shard
         LIMIT 1
           FOR UPDATE OF p SKIP LOCKED;
        EXIT WHEN NOT FOUND;
        v_seen := v_seen || v_part.shard;
        v_taken := 0;
        v_parked := 0;
        v_last := NULL;
        IF v_part.delivered_upto <= v_part.acked_upto THEN
            -- the usual case: everything handed out before is settled, so
            -- every event past the cursor is new (no notes, no parked ones):
            -- take the next ones in one statement
            SELECT coalesce(array_agg(x.event_id ORDER BY x.position), '{}'), max(x.position), count(*)
              INTO v_new, v_last, v_taken
              FROM (SELECT l.position, l.event_id FROM outreach.outbox_log l
                     WHERE l.destination = v_c.destination AND l.shard = v_part.shard
                       AND l.position > v_part.acked_upto
                     ORDER BY l.position
                     LIMIT p_limit - cardinality(v_ids)) AS x;
            v_ids := v_ids || v_new;
            v_attempts := v_attempts || array_fill(1, ARRAY[v_taken]);
        ELSE
        FOR v_ev IN
            SELECT l.position, l.event_id, d.attempts, d.last_error
              FROM outreach.outbox_log l
              -- anti-joins and a lateral lookup rather than a filtered outer
              -- join: the plan walks the shard's index in order and stops at the LIMIT
              LEFT JOIN LATERAL (SELECT dd.attempts, dd.last_error FROM outreach.outbox_deliveries dd
                                  WHERE dd.consumer = v_c.consumer AND dd.shard = v_part.shard
                                    AND dd.position = l.position) AS d ON true
             WHERE l.destination = v_c.destination AND l.shard = v_part.shard AND l.position > v_part.acked_upto
               AND NOT EXISTS (SELECT 1 FROM outreach.outbox_deliveries da
                                WHERE da.consumer = v_c.consumer AND da.shard = v_part.shard
                                  AND da.position = l.position AND da.acked_at IS NOT NULL)
               AND NOT EXISTS (SELECT 1 FROM outreach.outbox_parked pk
                                WHERE pk.consumer = v_c.consumer AND pk.shard = v_part.shard
                                  AND pk.position = l.position)
             ORDER BY l.position
             -- what this claim can still take (parked ones do not count: a few more)
             LIMIT p_limit - cardinality(v_ids) + 16
        LOOP
            IF v_ev.position <= v_part.delivered_upto THEN
                -- delivered before, not acknowledged: it comes back alone
                EXIT WHEN v_taken > 0;
                v_attempt := coalesce(v_ev.attempts, 1) + 1;
                IF v_attempt > v_c.max_attempts THEN
                    INSERT INTO outreach.outbox_parked (consumer, shard, position, event_id, destination, attempts,
                                                        last_error)
                    VALUES (v_c.consumer, v_part.shard, v_ev.position, v_ev.event_id, v_c.destination,
                            v_attempt - 1, v_ev.last_error);
                    DELETE FROM outreach.outbox_deliveries d
                     WHERE d.consumer = v_c.consumer AND d.shard = v_part.shard AND d.position = v_ev.position;
                    v_parked := v_parked + 1;
                    CONTINUE;
                END IF;
                INSERT INTO outreach.outbox_deliveries AS d (consumer, shard, position, event_id, attempts)
                VALUES (v_c.consumer, v_part.shard, v_ev.position, v_ev.event_id, v_attempt)
                ON CONFLICT (consumer, shard, position)
                   DO UPDATE SET attempts = EXCLUDED.attempts, last_attempt_at = now();
                v_ids := v_ids || v_ev.event_id;
                v_attempts := v_attempts || v_attempt;
                v_taken := 1;
                v_last := v_ev.position;
                EXIT;
            END IF;
            v_ids := v_ids || v_ev.event_id;
            v_attempts := v_attempts || 1;
            v_taken := v_taken + 1;
            v_last := v_ev.position;
            EXIT WHEN cardinality(v_ids) >= p_limit;
        END LOOP;
        END IF;
        IF v_parked > 0 THEN
            PERFORM outreach._outbox_settle(v_c.consumer, v_c.destination, v_part.shard, '{}');
        END IF;
        IF v_taken > 0 THEN
            UPDATE outreach.outbox_partitions p
               SET leased_until = now() + p_visibility,
                   lease_upto = v_last,
                   delivered_upto = greatest(p.delivered_upto, v_last),
                   last_claimed_at = now()
             WHERE p.consumer = v_c.consumer AND p.shard = v_part.shard;
        END IF;
    END LOOP;

    RETURN QUERY
        SELECT e.event_id, e.event_type, e.company_unique_id, e.outreach_id, e.payload, e.occurred_at, e.recorded_at,
               u.attempt
          FROM unnest(v_ids, v_attempts) WITH ORDINALITY AS u(id, attempt, n)
          JOIN outreach.outbox_events e ON e.event_id = u.id
         ORDER BY u.n;
END
$$;
COMMENT ON FUNCTION outreach.fn_outbox_claim(text, text, integer, interval) IS
    'Claims up to p_limit events of p_destination for consumer p_consumer (registered on its first claim) for p_visibility (FOR UPDATE SKIP LOCKED on its shards): at least once, in order per company; a redelivered event comes alone and is parked after the consumer''s max_attempts. 22023 bad arguments, 42501 a caller not in the destination''s reader role, 25000 outside READ COMMITTED (docs/consuming-events.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_outbox_claim(text, text, integer, interval)
    TO outreach_cl_authority, outreach_consumer;
