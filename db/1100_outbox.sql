-- The transactional outbox: the events Outreach sends downstream (to CL, senders, analytics), written in
-- the same transaction as the change that causes them, and the state of their consumers (docs/consuming-events.md).
-- depends: 1001_governance_job_runs_last_failure
SET LOCAL search_path = pg_catalog, pg_temp;

-- The group role of the senders' and analytics' consumers (CL's consumer is
-- outreach_cl_authority). NOLOGIN like the others: a consumer's login is made
-- a member of it. It may claim, acknowledge and give back events of its
-- destinations, and nothing else.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'outreach_consumer') THEN
        CREATE ROLE outreach_consumer NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA outreach TO outreach_consumer;

-- ---------------------------------------------------------------- what the outbox carries
CREATE TABLE outreach.outbox_destinations (
    destination text PRIMARY KEY CHECK (destination ~ '^[a-z][a-z_]*$'),
    reader_role name NOT NULL,
    channel     text NOT NULL UNIQUE CHECK (channel ~ '^[a-z][a-z0-9_]*$'),
    description text NOT NULL
);
COMMENT ON TABLE outreach.outbox_destinations IS
    'The outbox destinations: who may claim their events (a member of reader_role) and the LISTEN/NOTIFY channel that wakes their consumers.';
INSERT INTO outreach.outbox_destinations (destination, reader_role, channel, description) VALUES
    ('cl', 'outreach_cl_authority', 'outreach_outbox_cl',
     'Company Lifecycle: the signals CL decides on (Outreach has no promotion authority: it only signals).'),
    ('sender', 'outreach_consumer', 'outreach_outbox_sender',
     'Senders (email provider, phone): every send request, queued or made directly.'),
    ('analytics', 'outreach_consumer', 'outreach_outbox_analytics',
     'Analytics: every send and every engagement event.');

-- One row per event type: the one list the events, the docs and the tests
-- read. payload_keys are the keys of every payload of that type.
CREATE TABLE outreach.outbox_event_types (
    destination  text NOT NULL REFERENCES outreach.outbox_destinations (destination),
    event_type   text NOT NULL CHECK (event_type ~ '^[A-Z][A-Z_]*$'),
    description  text NOT NULL,
    payload_keys text[] NOT NULL,
    PRIMARY KEY (destination, event_type)
);
COMMENT ON TABLE outreach.outbox_event_types IS
    'Every event type of the outbox, by destination: what it means and the keys of its JSON payload (docs/consuming-events.md lists them).';
INSERT INTO outreach.outbox_event_types (destination, event_type, description, payload_keys) VALUES
    ('cl', 'REPLIED', 'A REPLY engagement event was recorded for a send to the company.',
     '{engagement_event_id,send_id,target_id,campaign_id}'),
    ('cl', 'BOUNCED', 'A BOUNCE engagement event was recorded for a send to the company.',
     '{engagement_event_id,send_id,target_id,campaign_id}'),
    ('cl', 'UNSUBSCRIBED', 'The company''s Company Target moved to outreach_status opted_out (an UNSUBSCRIBE, or set by hand).',
     '{target_id,previous_status,reason}'),
    ('cl', 'EXHAUSTED', 'The company''s Company Target moved to outreach_status exhausted (every active campaign it is in sent its last step).',
     '{target_id,previous_status,reason}'),
    ('cl', 'TIER_CHANGED', 'The company''s effective tier (outreach.vw_marketing_eligibility_with_overrides) moved, by a hub status, an override or a CL eligibility change.',
     '{effective_tier,previous_tier,computed_tier,tier_reason,cause}'),
    ('analytics', 'SEND', 'A send was recorded in outreach.send_log.',
     '{send_id,target_id,campaign_id,sequence_id,step_number,person_id,channel,gate_audit_id,request_id}'),
    ('analytics', 'OPEN', 'An OPEN engagement event was recorded.', '{engagement_event_id,send_id,target_id,campaign_id}'),
    ('analytics', 'CLICK', 'A CLICK engagement event was recorded.', '{engagement_event_id,send_id,target_id,campaign_id}'),
    ('analytics', 'REPLY', 'A REPLY engagement event was recorded.', '{engagement_event_id,send_id,target_id,campaign_id}'),
    ('analytics', 'BOUNCE', 'A BOUNCE engagement event was recorded.', '{engagement_event_id,send_id,target_id,campaign_id}'),
    ('analytics', 'UNSUBSCRIBE', 'An UNSUBSCRIBE engagement event was recorded.',
     '{engagement_event_id,send_id,target_id,campaign_id}'),
    ('sender', 'SEND_REQUESTED', 'A send request: queued by a campaign run (mode queued, for a sending worker to perform) or made directly by execute_send (mode direct, already performed and recorded).',
     '{mode,request_id,send_id,target_id,campaign_id,sequence_id,step_number,person_id,channel,correlation_id,gate_audit_id}');

-- ---------------------------------------------------------------- the events (append-only, sealed)
-- Debezium's outbox event router reads this row shape: event_id (id),
-- destination (aggregate type, the route), company_unique_id (aggregate id,
-- the message key), event_type (type), payload.
CREATE TABLE outreach.outbox_events (
    event_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination       text NOT NULL,
    event_type        text NOT NULL,
    company_unique_id text NOT NULL CHECK (btrim(company_unique_id) <> ''),
    outreach_id       uuid,
    payload           jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    occurred_at       timestamptz NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    -- a company's events always share one of 16 shards: a consumer claims a
    -- shard at a time, which keeps each company's events in order
    shard             smallint NOT NULL GENERATED ALWAYS AS ((hashtext(company_unique_id) & 15)::smallint) STORED,
    -- the writing transaction: the sequencer reads what committed since its last run
    tx                xid8 NOT NULL DEFAULT pg_current_xact_id(),
    CONSTRAINT outbox_events_type_fkey FOREIGN KEY (destination, event_type)
        REFERENCES outreach.outbox_event_types (destination, event_type)
);
CREATE INDEX outbox_events_tx_idx ON outreach.outbox_events (tx);
COMMENT ON TABLE outreach.outbox_events IS
    'Append-only, sealed: one row per event for CL, senders or analytics, written in the same transaction as the change that caused it (docs/consuming-events.md). Consumers read it through outreach.fn_outbox_claim; logical decoding through the publication outreach_outbox.';
COMMENT ON COLUMN outreach.outbox_events.occurred_at IS 'When the change happened (the engagement''s occurred_at, the send''s sent_at, else the transaction''s time).';
COMMENT ON COLUMN outreach.outbox_events.recorded_at IS 'When the event was recorded (its transaction''s time).';
COMMENT ON COLUMN outreach.outbox_events.shard IS 'hashtext(company_unique_id) & 15: a company''s events share a shard, which a consumer claims as a whole.';
COMMENT ON COLUMN outreach.outbox_events.tx IS 'The writing transaction (pg_current_xact_id()): the sequencer finds the events committed since its last run by it.';

-- Where retention moves acknowledged events (outreach.fn_outbox_archive_acked).
CREATE TABLE outreach.outbox_events_archive (
    event_id          bigint PRIMARY KEY,
    destination       text NOT NULL,
    event_type        text NOT NULL,
    company_unique_id text NOT NULL,
    outreach_id       uuid,
    payload           jsonb NOT NULL,
    occurred_at       timestamptz NOT NULL,
    recorded_at       timestamptz NOT NULL,
    shard             smallint NOT NULL,
    tx                xid8 NOT NULL,
    archived_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE outreach.outbox_events_archive IS
    'Events every consumer of their destination acknowledged, moved out of outreach.outbox_events by outreach.fn_outbox_archive_acked after the retention age (the seal chain keeps their tombstones).';

-- ---------------------------------------------------------------- delivery order: the sequencer's log
-- The sequencer (outreach._outbox_sequence, run by the claims) gives every
-- committed event a position, in event_id order among the events visible at
-- its run: positions follow commit order wherever it matters (an event whose
-- transaction committed before another event was written gets the lower
-- position), and an event that commits late is never skipped.
CREATE TABLE outreach.outbox_sequencer (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    horizon       xid8 NOT NULL DEFAULT '0',
    last_position bigint NOT NULL DEFAULT 0,
    sequenced_at  timestamptz
);
INSERT INTO outreach.outbox_sequencer DEFAULT VALUES;
COMMENT ON TABLE outreach.outbox_sequencer IS
    'One row: every event written by a transaction older than horizon has its position; last_position is the last position given.';

CREATE TABLE outreach.outbox_log (
    destination text NOT NULL,
    shard       smallint NOT NULL,
    position    bigint NOT NULL,
    event_id    bigint NOT NULL UNIQUE,
    PRIMARY KEY (destination, shard, position)
);
COMMENT ON TABLE outreach.outbox_log IS
    'The delivery order: each sequenced event''s position (consumers'' cursors count positions). Rows leave with their event (retention).';

-- ---------------------------------------------------------------- consumers and their state
CREATE TABLE outreach.outbox_consumers (
    consumer     text PRIMARY KEY CHECK (btrim(consumer) <> '' AND length(consumer) <= 200),
    destination  text NOT NULL REFERENCES outreach.outbox_destinations (destination),
    max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 1000),
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE outreach.outbox_consumers IS
    'Outbox consumers: each reads one destination, sees every one of its events, and parks an event after max_attempts deliveries.';

-- A consumer's cursor per shard, and who holds the shard now.
CREATE TABLE outreach.outbox_partitions (
    consumer        text NOT NULL REFERENCES outreach.outbox_consumers (consumer) ON DELETE CASCADE,
    shard           smallint NOT NULL CHECK (shard BETWEEN 0 AND 15),
    acked_upto      bigint NOT NULL DEFAULT 0,
    delivered_upto  bigint NOT NULL DEFAULT 0,
    leased_until    timestamptz,
    lease_upto      bigint NOT NULL DEFAULT 0,
    last_claimed_at timestamptz,
    PRIMARY KEY (consumer, shard),
    CONSTRAINT outbox_partitions_cursor_order CHECK (acked_upto <= delivered_upto)
);
COMMENT ON TABLE outreach.outbox_partitions IS
    'Per consumer and shard: every event up to position acked_upto is acknowledged or parked, events up to delivered_upto were handed out at least once, and a claimer holds the shard until leased_until (the visibility timeout) or until everything its claim handed out (up to lease_upto) is settled.';

-- Per-event state between a shard's acked_upto and delivered_upto: the
-- attempts of an event delivered more than once, its last error, an
-- acknowledgement that came out of order. Rows go once the cursor passes them.
CREATE TABLE outreach.outbox_deliveries (
    consumer        text NOT NULL,
    shard           smallint NOT NULL,
    position        bigint NOT NULL,
    event_id        bigint NOT NULL,
    attempts        integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    acked_at        timestamptz,
    last_error      text,
    last_attempt_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, shard, position),
    FOREIGN KEY (consumer, shard) REFERENCES outreach.outbox_partitions (consumer, shard) ON DELETE CASCADE
);
COMMENT ON TABLE outreach.outbox_deliveries IS
    'Per consumer, the events beyond its cursor that need a note: attempts, the last error, an acknowledgement out of order.';

CREATE TABLE outreach.outbox_parked (
    consumer    text NOT NULL REFERENCES outreach.outbox_consumers (consumer) ON DELETE CASCADE,
    shard       smallint NOT NULL,
    position    bigint NOT NULL,
    event_id    bigint NOT NULL,
    destination text NOT NULL,
    attempts    integer NOT NULL,
    last_error  text,
    parked_at   timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolved_by text,
    resolution  text,
    PRIMARY KEY (consumer, shard, position),
    CONSTRAINT outbox_parked_resolution CHECK ((resolved_at IS NULL) = (resolved_by IS NULL))
);
CREATE INDEX outbox_parked_unresolved_idx ON outreach.outbox_parked (event_id) WHERE resolved_at IS NULL;
COMMENT ON TABLE outreach.outbox_parked IS
    'Poison events: delivered max_attempts times to a consumer without an acknowledgement, then parked for it (the event itself stays in the outbox until the parking is resolved).';

-- The effective tier CL was last told, per company (TIER_CHANGED).
CREATE TABLE outreach.outbox_tier_state (
    company_unique_id  text PRIMARY KEY,
    effective_tier     integer,
    announced_event_id bigint,
    announced_at       timestamptz
);
COMMENT ON TABLE outreach.outbox_tier_state IS
    'Per company, the effective tier the last TIER_CHANGED event announced (NULL: none yet); outreach._outbox_tier_changes compares it with the current one.';

-- ---------------------------------------------------------------- queued sending
CREATE TABLE outreach.send_requests (
    request_id        bigint PRIMARY KEY,
    company_unique_id text NOT NULL,
    target_id         text NOT NULL,
    campaign_id       text NOT NULL REFERENCES outreach.campaigns (campaign_id),
    sequence_id       bigint NOT NULL REFERENCES outreach.sequences (sequence_id),
    person_id         text,
    channel           text NOT NULL,
    correlation_id    text NOT NULL,
    queued_audit_id   uuid NOT NULL,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'blocked')),
    send_id           bigint UNIQUE,
    closed_audit_id   uuid,
    requested_at      timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    CONSTRAINT send_requests_closed CHECK ((status = 'pending') = (closed_at IS NULL)),
    CONSTRAINT send_requests_sent CHECK ((status = 'sent') = (send_id IS NOT NULL))
);
-- a step is queued at most once per company while its request is open
CREATE UNIQUE INDEX send_requests_one_pending_idx
    ON outreach.send_requests (campaign_id, company_unique_id, sequence_id) WHERE status = 'pending';
COMMENT ON TABLE outreach.send_requests IS
    'Queued send requests (request_id = the event_id of their SEND_REQUESTED event): pending until a sending worker records the send (sent) or the gate refuses it (blocked).';

-- ---------------------------------------------------------------- grants, logical decoding
GRANT SELECT ON outreach.outbox_destinations, outreach.outbox_event_types, outreach.outbox_events,
    outreach.outbox_events_archive, outreach.outbox_sequencer, outreach.outbox_log, outreach.outbox_consumers,
    outreach.outbox_partitions, outreach.outbox_deliveries, outreach.outbox_parked, outreach.outbox_tier_state,
    outreach.send_requests
    TO outreach_governor;
-- a sending worker checks whether a redelivered request is still pending
GRANT SELECT ON outreach.send_requests TO outreach_sender;

-- Logical decoding (Debezium with pgoutput, or any plugin): only the events' inserts.
CREATE PUBLICATION outreach_outbox FOR TABLE outreach.outbox_events WITH (publish = 'insert');
COMMENT ON PUBLICATION outreach_outbox IS
    'The outbox for logical decoding: inserts into outreach.outbox_events only (docs/consuming-events.md).';

-- ---------------------------------------------------------------- the registry of guarded tables
-- A new kind, retention: the one function that may delete from an
-- append-only, sealed table (deleter, which sets shq.fn_sanction(<deleter>)
-- as outreach_owner), and the archive its rows move to. The append-only guard
-- and the tombstones accept its deletions; seal verification accepts a
-- tombstone of such a deletion when the archive holds the row.
-- On a database migrated before, the registry belongs to outreach_owner and
-- its guard is armed: the change runs as the owner with the sanction, as
-- docs/code-layout.md says. On an empty one neither the guard nor
-- shq.fn_sanction exists yet, and the registry belongs to the migrating
-- login (or to outreach_owner, for a deployer that works as it).
SELECT set_config('pyctl.role_before_registry', current_setting('role'), true);
DO $$
BEGIN
    IF (SELECT c.relowner FROM pg_catalog.pg_class c WHERE c.oid = 'shq.guarded_tables'::pg_catalog.regclass)
       = 'outreach_owner'::pg_catalog.regrole THEN
        PERFORM pg_catalog.set_config('role', 'outreach_owner', true);
    END IF;
    IF to_regprocedure('shq.fn_sanction(text)') IS NOT NULL THEN
        PERFORM shq.fn_sanction('shq.guarded_tables');
    END IF;
END
$$;
ALTER TABLE shq.guarded_tables
    ADD COLUMN deleter text,
    ADD COLUMN archive_table regclass,
    DROP CONSTRAINT guarded_tables_kind_check,
    ADD CONSTRAINT guarded_tables_kind_check CHECK (kind IN ('append_only', 'sealed', 'sovereign', 'attachment',
                                                             'write_once', 'send_log', 'engagement', 'retention')),
    ADD CONSTRAINT guarded_tables_retention CHECK (
        (kind = 'retention') = (deleter IS NOT NULL AND archive_table IS NOT NULL));
COMMENT ON COLUMN shq.guarded_tables.deleter IS
    'retention: the schema-qualified name of the one function that may delete rows of this append-only table (it sanctions itself with shq.fn_sanction, as outreach_owner).';
COMMENT ON COLUMN shq.guarded_tables.archive_table IS
    'retention: where the deleter moves the rows; seal verification accepts the tombstone of a row this table holds.';
INSERT INTO shq.guarded_tables (table_name, kind, id_column, deleter, archive_table) VALUES
    ('outreach.outbox_events', 'append_only', NULL, NULL, NULL),
    ('outreach.outbox_events', 'sealed', 'event_id', NULL, NULL),
    ('outreach.outbox_events', 'retention', NULL, 'outreach.fn_outbox_archive_acked', 'outreach.outbox_events_archive');
DO $$
BEGIN
    IF to_regprocedure('shq.fn_sanction(text)') IS NOT NULL THEN
        PERFORM shq.fn_sanction('');
    END IF;
END
$$;
SELECT set_config('role', current_setting('pyctl.role_before_registry'), true);
