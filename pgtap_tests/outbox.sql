-- The outbox (docs/consuming-events.md): registered as append-only, sealed and with its retention; events written
-- by their changes in the same transaction; the consumer API's grants and refusals. Everything rolls back.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(35);
\ir fixtures/company.sql

-- ---------------------------------------------------------------- registry, guards, grants
SELECT set_eq($$SELECT kind || ':' || coalesce(id_column::text, '') || ':' || coalesce(deleter, '') || ':'
                       || coalesce(archive_table::text, '')
                  FROM shq.guarded_tables WHERE table_name = 'outreach.outbox_events'::regclass$$,
              ARRAY['append_only:::', 'sealed:event_id::',
                    'retention::outreach.fn_outbox_archive_acked:outreach.outbox_events_archive'],
              'outbox_events is append-only, sealed by event_id, and archived only by its retention');
SELECT is_empty($$SELECT * FROM shq.fn_check_guard_triggers() WHERE table_name = 'outreach.outbox_events'$$,
                'its guard triggers are in place, ENABLE ALWAYS');
SELECT throws_ok($$UPDATE outreach.outbox_events SET payload = '{}'$$, 'OG004', NULL, 'UPDATE is OG004');
SELECT throws_ok($$DELETE FROM outreach.outbox_events$$, 'OG004', NULL, 'DELETE is OG004');
SELECT throws_ok($$TRUNCATE outreach.outbox_events$$, 'OG004', NULL, 'TRUNCATE is OG004');
SELECT is((SELECT count(*)::int FROM pg_trigger t
            WHERE t.tgrelid IN ('outreach.outbox_events'::regclass, 'outreach.send_log'::regclass,
                                'outreach.engagement_events'::regclass, 'outreach.company_hub_status'::regclass,
                                'outreach.override_audit_log'::regclass, 'outreach.company_target'::regclass,
                                'cl.company_identity'::regclass)
              AND t.tgname LIKE 'trg\_%\_800\_%' AND t.tgname NOT LIKE '%\_history\_%' AND t.tgenabled = 'O'),
          8, 'the eight outbox triggers are ordinary ENABLE ORIGIN triggers (a replica receives replicated events)');
SELECT function_privs_are('outreach', 'fn_outbox_claim', ARRAY['text', 'text', 'integer', 'interval'],
                          'outreach_consumer', ARRAY['EXECUTE'], 'outreach_consumer may claim');
SELECT function_privs_are('outreach', 'fn_outbox_ack', ARRAY['text', 'bigint[]'],
                          'outreach_cl_authority', ARRAY['EXECUTE'], 'outreach_cl_authority may acknowledge');
SELECT function_privs_are('outreach', 'fn_outbox_nack', ARRAY['text', 'bigint[]', 'interval', 'text'],
                          'outreach_reader', ARRAY[]::text[], 'outreach_reader may not give back');
SELECT function_privs_are('outreach', 'fn_outbox_archive_acked', ARRAY['interval', 'integer', 'integer'],
                          'outreach_consumer', ARRAY[]::text[], 'a consumer may not run retention');
SELECT table_privs_are('outreach', 'outbox_events', 'outreach_consumer', ARRAY[]::text[],
                       'outreach_consumer reads no table');
SELECT table_privs_are('outreach', 'outbox_partitions', 'outreach_cl_authority', ARRAY[]::text[],
                       'outreach_cl_authority cannot touch the cursors');
SELECT table_privs_are('outreach', 'outbox_events', 'outreach_governor', ARRAY['SELECT'],
                       'outreach_governor reads the events');
SELECT table_privs_are('shq', 'vw_metrics_outbox', 'outreach_monitor', ARRAY['SELECT'],
                       'the monitor reads the outbox metric family');
SELECT table_privs_are('outreach', 'vw_outbox_parked', 'outreach_consumer', ARRAY[]::text[],
                       'a consumer does not read the parked events of others');
SELECT is_definer('outreach', 'fn_outbox_claim', ARRAY['text', 'text', 'integer', 'interval'],
                  'the consumer API runs as its owner');
SELECT ok((SELECT rolcanlogin = false FROM pg_roles WHERE rolname = 'outreach_consumer'),
          'outreach_consumer is a NOLOGIN group role');

-- ---------------------------------------------------------------- producers, in this transaction
CREATE TEMP TABLE before_events AS SELECT coalesce(max(event_id), 0) AS last FROM outreach.outbox_events;
SELECT pg_temp.mk_company('OBX-PGTAP-1', 2);
SELECT results_eq($$SELECT event_type, (payload ->> 'previous_tier')::int, (payload ->> 'effective_tier')::int
                      FROM outreach.outbox_events
                     WHERE company_unique_id = 'OBX-PGTAP-1' ORDER BY event_id$$,
                  $$VALUES ('TIER_CHANGED', NULL::int, 0), ('TIER_CHANGED', 0, 1), ('TIER_CHANGED', 1, 2)$$,
                  'a new company: its tier announced, then every move (hub statuses), in this transaction');
SELECT outreach.set_marketing_override('OBX-PGTAP-1', 'FORCE_TIER', 'pgtap', 'pgtap', 0);
SELECT is((SELECT payload ->> 'cause' FROM outreach.outbox_events WHERE company_unique_id = 'OBX-PGTAP-1'
            ORDER BY event_id DESC LIMIT 1), 'override', 'an override that lowers the tier: TIER_CHANGED, cause override');
SELECT outreach.set_marketing_override('OBX-PGTAP-1', 'BLOCK_PHONE', 'pgtap', 'pgtap');
SELECT is((SELECT count(*)::int FROM outreach.outbox_events WHERE company_unique_id = 'OBX-PGTAP-1'), 4,
          'an override that keeps the tier: nothing');
SELECT cl.fn_register_company('OBX-PGTAP-1', 'OBX', 'obx.example.com', 'INELIGIBLE');
SELECT is((SELECT payload FROM outreach.outbox_events WHERE company_unique_id = 'OBX-PGTAP-1'
            ORDER BY event_id DESC LIMIT 1) ->> 'effective_tier', '-1', 'CL INELIGIBLE: tier -1');
SELECT is_empty($$SELECT e.event_id FROM outreach.outbox_events e JOIN outreach.outbox_event_types t USING (destination, event_type)
                   WHERE e.event_id > (SELECT last FROM before_events)
                     AND ARRAY(SELECT jsonb_object_keys(e.payload) ORDER BY 1)
                         <> ARRAY(SELECT k FROM unnest(t.payload_keys) AS k ORDER BY 1)$$,
                'every payload has exactly its type''s keys');

-- ---------------------------------------------------------------- the consumer API
SELECT lives_ok($$SELECT outreach.fn_outbox_register_consumer('pgtap-cl', 'cl', 2, 'latest')$$,
                'a consumer registered at the newest event');
SELECT pg_temp.mk_company('OBX-PGTAP-2', 1);
CREATE TEMP TABLE claimed AS SELECT * FROM outreach.fn_outbox_claim('pgtap-cl', 'cl', 100, '1 minute');
SELECT results_eq($$SELECT company_unique_id, attempt FROM claimed ORDER BY event_id$$,
                  $$VALUES ('OBX-PGTAP-2'::text, 1), ('OBX-PGTAP-2', 1)$$,
                  'it claims the events written after it registered, even uncommitted ones of its own transaction');
SELECT is_empty($$SELECT * FROM outreach.fn_outbox_claim('pgtap-cl', 'cl', 100, '1 minute')$$,
                'claimed events are invisible to the next claim');
SELECT is(outreach.fn_outbox_ack('pgtap-cl', ARRAY(SELECT event_id FROM claimed)), 2, 'both acknowledged');
SELECT is(outreach.fn_outbox_ack('pgtap-cl', ARRAY(SELECT event_id FROM claimed)), 0, 'acknowledging again counts 0');
SELECT throws_ok($$SELECT outreach.fn_outbox_ack('pgtap-cl', ARRAY[-5]::bigint[])$$, '22023',
                 'event -5 was not delivered to outbox consumer ''pgtap-cl''', 'an id never delivered is refused');
SELECT throws_ok($$SELECT * FROM outreach.fn_outbox_claim('pgtap-cl', 'analytics')$$, '22023', NULL,
                 'a consumer reads one destination');
SET LOCAL ROLE outreach_consumer;
SELECT throws_ok($$SELECT * FROM outreach.fn_outbox_claim('pgtap-cl', 'cl')$$, '42501', NULL,
                 'outreach_consumer may not read the cl destination');
SELECT lives_ok($$SELECT * FROM outreach.fn_outbox_claim('pgtap-analytics', 'analytics', 1)$$,
                '... but may read analytics');
SELECT throws_ok($$SELECT count(*) FROM outreach.outbox_events$$, '42501', NULL, '... and no table');
RESET ROLE;
SET LOCAL ROLE outreach_cl_authority;
SELECT throws_ok($$SELECT * FROM outreach.fn_outbox_claim('pgtap-sender', 'sender')$$, '42501', NULL,
                 'outreach_cl_authority may not read the senders'' destination');
RESET ROLE;
SELECT throws_ok($$SELECT * FROM outreach.fn_outbox_claim('pgtap-cl', 'cl', 0)$$, '22023', NULL, 'a limit of 0 is refused');
SELECT throws_ok($$SELECT outreach.fn_outbox_nack('pgtap-cl', NULL::bigint[])$$, '22023', 'event ids must not be NULL',
                 'NULL ids are refused');

SELECT * FROM finish();
ROLLBACK;
