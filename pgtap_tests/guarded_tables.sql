-- The registry of guarded tables, shq.guarded_tables: it holds the contract's tables of each kind,
-- every row has its triggers in the declared state (ENABLE ALWAYS), no guarded table is missing from it.
-- Only row-level work and a temporary table: no lock on a live table (verify runs this on production).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(22);

CREATE FUNCTION pg_temp.registered(p_kind text) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT g.table_name::text FROM shq.guarded_tables g WHERE g.kind = p_kind ORDER BY 1;
$$;

-- ---------------------------------------------------------------- the contract's tables, by kind
SELECT set_eq($$SELECT * FROM pg_temp.registered('append_only')$$,
              ARRAY['outreach.send_attempt_audit', 'outreach.override_audit_log', 'outreach.bit_signals',
                    'outreach.engagement_events', 'shq.audit_log', 'shq.tool_violations',
                    'shq.audit_seals', 'shq.audit_seal_tombstones', 'outreach.outbox_events',
                    'cl.company_identity_history', 'outreach.company_hub_status_history',
                    'outreach.company_target_status_history'],
              'append-only: the six tables of the contract, the seals and their tombstones, the outbox, the state history');
SELECT set_eq($$SELECT g.table_name::text || ':' || g.id_column FROM shq.guarded_tables g WHERE g.kind = 'sealed'$$,
              ARRAY['outreach.send_attempt_audit:audit_seq', 'outreach.override_audit_log:audit_id',
                    'outreach.bit_signals:signal_id', 'outreach.engagement_events:event_id',
                    'shq.audit_log:audit_id', 'shq.tool_violations:violation_id', 'outreach.outbox_events:event_id',
                    'cl.company_identity_history:history_id', 'outreach.company_hub_status_history:history_id',
                    'outreach.company_target_status_history:history_id'],
              'sealed: the six append-only tables of the contract, the outbox and the state history, each with the identity that orders its seals');
SELECT set_eq($$SELECT * FROM pg_temp.registered('sovereign')$$,
              ARRAY['outreach.company_hub_status', 'outreach.manual_overrides', 'outreach.hub_registry',
                    'outreach.bit_scores', 'shq.guarded_tables', 'outreach.company_eligibility'],
              'sovereign: the four tables of the contract, the registry itself and the maintained eligibility row');
SELECT set_eq($$SELECT * FROM pg_temp.registered('attachment')$$,
              ARRAY['outreach.people', 'people.company_slot', 'people.people_master', 'outreach.dol',
                    'outreach.dol_filings', 'outreach.blog', 'outreach.blog_signals', 'outreach.talent_flow'],
              'attachment: the eight sub-hub tables');
SELECT set_eq($$SELECT g.table_name::text || ':' || g.kind FROM shq.guarded_tables g
                 WHERE g.kind IN ('write_once', 'send_log', 'engagement')$$,
              ARRAY['cl.company_identity:write_once', 'outreach.send_log:send_log',
                    'outreach.engagement_events:engagement'],
              'hand-written guards: the write-once identity, the send log, engagement events');
SELECT is((SELECT g.id_column::text FROM shq.fn_audit_sealed_tables() g WHERE g.table_name = 'outreach.send_attempt_audit'),
          'audit_seq', 'the seals read their tables from the registry');

-- ---------------------------------------------------------------- the declared state
SELECT is_empty($$SELECT * FROM shq.fn_check_guard_triggers()$$,
                'every guard trigger the registry expects is there, unchanged, ENABLE ALWAYS; none is unregistered');
SELECT is((SELECT count(*)::int FROM shq.fn_guard_triggers() e
            WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t
                               WHERE t.tgrelid = e.table_name AND t.tgname = e.trigger_name AND t.tgenabled = 'A')),
          0, 'every expected trigger exists with tgenabled A');
SELECT is((SELECT count(*)::int FROM shq.fn_guard_triggers() e JOIN pg_trigger t
             ON t.tgrelid = e.table_name AND t.tgname = e.trigger_name
            WHERE e.definition IS NOT NULL
              AND pg_get_triggerdef(t.oid) <> format('CREATE TRIGGER %I %s', e.trigger_name, e.definition)),
          0, 'every generated trigger is defined as the registry says');
SELECT set_eq($$SELECT trigger_name::text FROM shq.fn_guard_triggers() WHERE table_name = 'shq.audit_log'::regclass$$,
              ARRAY['trg_audit_log_010_append_only', 'trg_audit_log_011_append_only_truncate',
                    'trg_audit_log_900_seal_tombstone'],
              'an append-only, sealed table: two append-only triggers (010, 011) and a tombstone (900)');
SELECT set_eq($$SELECT trigger_name::text FROM shq.fn_guard_triggers() WHERE table_name = 'outreach.send_log'::regclass$$,
              ARRAY['trg_send_log_001_kill_switch_lock', 'trg_send_log_005_lock_target', 'trg_send_log_010_gate_guard',
                    'trg_send_log_011_clearance_immutable', 'trg_send_log_500_status_transition'],
              'send_log: its five hand-written triggers');
SELECT is((SELECT count(*)::int FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE NOT t.tgisinternal AND t.tgenabled = 'A'
              AND c.relnamespace::regnamespace::text IN ('cl', 'outreach', 'people', 'company', 'shq')
              AND NOT EXISTS (SELECT 1 FROM shq.fn_guard_triggers() e
                               WHERE e.table_name = t.tgrelid AND e.trigger_name = t.tgname)),
          0, 'every ENABLE ALWAYS trigger of the project is a registered guard');
SELECT is((SELECT count(*)::int FROM pg_trigger t
            WHERE t.tgfoid IN ('shq.tg_append_only()'::regprocedure, 'shq.tg_sovereign_guard()'::regprocedure,
                               'shq.tg_audit_tombstone()'::regprocedure, 'outreach.tg_subhub_attachment()'::regprocedure)
              AND NOT EXISTS (SELECT 1 FROM shq.guarded_tables g WHERE g.table_name = t.tgrelid)),
          0, 'no table carries a guard trigger function without being in the registry');

-- ---------------------------------------------------------------- a guard the registry does not know is reported
CREATE TEMP TABLE unregistered_log (id int);
CREATE TRIGGER zz_append_only BEFORE UPDATE OR DELETE ON unregistered_log
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
SELECT results_eq($$SELECT trigger_name, problem FROM shq.fn_check_guard_triggers()$$,
                  $$VALUES ('zz_append_only'::text, 'UNREGISTERED'::text)$$,
                  'a table guarded by shq.tg_append_only but not registered is reported UNREGISTERED');
DROP TABLE unregistered_log;
SELECT is_empty($$SELECT * FROM shq.fn_check_guard_triggers()$$, '... and the report is empty again without it');

-- ---------------------------------------------------------------- the registry guards itself
CREATE TEMP TABLE registry_before AS SELECT * FROM shq.guarded_tables;
SELECT throws_ok($$DELETE FROM shq.guarded_tables WHERE kind = 'append_only'$$, 'OG005', NULL,
                 'removing a table from the registry is OG005, even for a superuser');
SELECT throws_ok($$UPDATE shq.guarded_tables SET kind = 'attachment' WHERE kind = 'sovereign'$$, 'OG005', NULL,
                 'changing a kind is OG005');
SELECT throws_ok($$TRUNCATE shq.guarded_tables$$, 'OG005', NULL, 'TRUNCATE of the registry is OG005');
SET LOCAL session_replication_role = replica;
SELECT throws_ok($$DELETE FROM shq.guarded_tables$$, 'OG005', NULL, 'replica mode does not skip it');
RESET session_replication_role;
SELECT throws_ok($$DELETE FROM shq.guarded_tables$$, 'OG005',
                 'DELETE on sovereign table shq.guarded_tables outside its sanctioned function',
                 'the refusal names the registry');
SELECT results_eq($$SELECT * FROM shq.guarded_tables ORDER BY 1, 2$$, $$SELECT * FROM registry_before ORDER BY 1, 2$$,
                  'the registry is unchanged');
SELECT table_privs_are('shq', 'guarded_tables', 'outreach_reader', ARRAY[]::text[], 'outreach_reader cannot read it');

SELECT * FROM finish();
ROLLBACK;
