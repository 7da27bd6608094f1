-- outreach._outbox_consumer: the consumer a claim, acknowledgement or give-back names, after checking the
-- caller may read its destination; a claim registers an unknown consumer (docs/consuming-events.md).
CREATE OR REPLACE FUNCTION outreach._outbox_consumer(
    p_consumer text,
    p_destination text DEFAULT NULL,
    p_check_caller boolean DEFAULT true)
RETURNS outreach.outbox_consumers
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- p_destination NULL (acknowledge, give back): the consumer must exist.
-- Otherwise (claim) it must read p_destination, and is registered, starting
-- at the oldest event still in the outbox, when it does not exist yet.
-- The caller is the role the session acts as (SET ROLE, else the login):
-- the consumer API runs as its owner (SECURITY DEFINER), so current_user
-- inside it says nothing about who called. p_check_caller false: an
-- administrator registers the consumer (fn_outbox_register_consumer).
DECLARE
    v_c outreach.outbox_consumers;
    v_dest text;
    v_reader name;
    v_caller text := CASE WHEN current_setting('role') = 'none' THEN session_user::text
                          ELSE current_setting('role') END;
BEGIN
    IF shq.fn_is_blank(p_consumer) OR length(p_consumer) > 200 THEN
        RAISE EXCEPTION 'consumer name must be 1 to 200 characters, not blank (got %)',
                coalesce(quote_literal(p_consumer), 'NULL')
            USING ERRCODE = '22023', HINT = 'Name the consumer after the service that reads, e.g. ''cl-sync''.';
    END IF;
    SELECT c.* INTO v_c FROM outreach.outbox_consumers c WHERE c.consumer = p_consumer;
    IF NOT FOUND AND p_destination IS NULL THEN
        RAISE EXCEPTION 'unknown outbox consumer %', quote_literal(p_consumer)
            USING ERRCODE = '22023', HINT = 'A consumer is registered by its first outreach.fn_outbox_claim.';
    END IF;
    v_dest := coalesce(v_c.destination, p_destination);
    SELECT d.reader_role INTO v_reader FROM outreach.outbox_destinations d WHERE d.destination = v_dest;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown outbox destination %', quote_literal(v_dest)
            USING ERRCODE = '22023',
                  HINT = 'Use one of: ' || (SELECT string_agg(d.destination, ', ' ORDER BY d.destination)
                                              FROM outreach.outbox_destinations d) || '.';
    END IF;
    IF p_destination IS NOT NULL AND v_c.destination <> p_destination THEN
        RAISE EXCEPTION 'outbox consumer % reads destination %, not %', quote_literal(p_consumer), v_c.destination,
                p_destination
            USING ERRCODE = '22023', HINT = 'A consumer reads one destination: use another consumer name for this one.';
    END IF;
    IF p_check_caller AND NOT pg_has_role(v_caller, v_reader, 'USAGE') THEN
        RAISE EXCEPTION 'role % may not read outbox destination %', v_caller, v_dest
            USING ERRCODE = '42501',
                  HINT = format('Consumers of %s are members of %s (GRANT %s TO <login>).', v_dest, v_reader, v_reader);
    END IF;
    IF v_c.consumer IS NULL THEN
        INSERT INTO outreach.outbox_consumers (consumer, destination) VALUES (p_consumer, p_destination)
        ON CONFLICT (consumer) DO NOTHING;
        INSERT INTO outreach.outbox_partitions (consumer, shard)
        SELECT p_consumer, s.shard FROM outreach._outbox_shards() AS s(shard)
        ON CONFLICT (consumer, shard) DO NOTHING;
        SELECT c.* INTO v_c FROM outreach.outbox_consumers c WHERE c.consumer = p_consumer;
        IF v_c.destination <> p_destination THEN  -- registered concurrently for another destination
            RAISE EXCEPTION 'outbox consumer % reads destination %, not %', quote_literal(p_consumer), v_c.destination,
                    p_destination
                USING ERRCODE = '22023', HINT = 'A consumer reads one destination: use another consumer name for this one.';
        END IF;
    END IF;
    RETURN v_c;
END
$$;
COMMENT ON FUNCTION outreach._outbox_consumer(text, text, boolean) IS
    'Internal: the named outbox consumer; 22023 for a blank or unknown name or a destination it does not read, 42501 when the calling role (SET ROLE, else the login) is not a member of the destination''s reader_role (unless p_check_caller is false); registers the consumer on its first claim.';
