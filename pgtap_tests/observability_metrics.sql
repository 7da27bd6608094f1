-- Metric families and snapshots (docs/monitoring.md): who may read and refresh them, and that the
-- refresh refuses bad job health. Data-independent: it reads whatever the database holds.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(17);

-- ---------------------------------------------------------------- the role
SELECT has_role('outreach_monitor', 'the monitor group role exists');
SELECT ok(NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'outreach_monitor'), 'outreach_monitor cannot log in');
SELECT is((SELECT count(*)::integer FROM pg_class c
            WHERE c.relnamespace = 'shq'::regnamespace AND c.relkind = 'v' AND c.relname LIKE 'vw\_metrics\_%'
              AND NOT has_table_privilege('outreach_monitor', c.oid, 'SELECT')), 0,
          'outreach_monitor may read every metric view');
SELECT table_privs_are('shq', 'metrics_snapshot', 'outreach_monitor', ARRAY[]::text[],
                       'outreach_monitor has no right on the snapshot table');
SELECT table_privs_are('outreach', 'manual_overrides', 'outreach_monitor', ARRAY[]::text[],
                       'outreach_monitor has no right on a sovereign table');
SELECT function_privs_are('shq', 'fn_refresh_metrics_snapshot', ARRAY[]::text[], 'outreach_monitor', ARRAY[]::text[],
                          'outreach_monitor may not refresh the snapshots');
SELECT function_privs_are('shq', 'fn_refresh_metrics_snapshot', ARRAY[]::text[], 'outreach_governor', ARRAY['EXECUTE'],
                          'outreach_governor may refresh the snapshots');
SELECT function_privs_are('shq', '_store_metrics_snapshot', ARRAY['jsonb', 'numeric'], 'outreach_monitor',
                          ARRAY[]::text[], 'outreach_monitor may not store a snapshot');
SELECT is_definer('shq', '_store_metrics_snapshot', ARRAY['jsonb', 'numeric'], 'the store is SECURITY DEFINER');
SELECT isnt_definer('shq', 'fn_refresh_metrics_snapshot', ARRAY[]::text[],
                    'the refresh is SECURITY INVOKER (it reads pg_cron with the caller''s rights)');

-- ---------------------------------------------------------------- as the monitor
SET LOCAL ROLE outreach_monitor;
SELECT lives_ok($$SELECT * FROM shq.vw_metrics_gate$$, 'the monitor reads the gate family');
SELECT lives_ok($$SELECT * FROM shq.vw_metrics_governed$$, 'the monitor reads the governed errors family');
SELECT lives_ok($$SELECT * FROM shq.vw_metrics_seal$$, 'the monitor reads the seal family');
SELECT throws_ok($$SELECT * FROM shq.metrics_snapshot$$, '42501', NULL, 'the monitor cannot read the snapshot table');
SELECT throws_ok($$SELECT * FROM shq.fn_refresh_metrics_snapshot()$$, '42501', NULL,
                 'the monitor cannot refresh');
RESET ROLE;

-- ---------------------------------------------------------------- bad job health
SELECT throws_ok($$SELECT * FROM shq._store_metrics_snapshot('{"rows": []}')$$, '22023', NULL,
                 'the job health must be an array');
SELECT throws_ok($$SELECT * FROM shq._store_metrics_snapshot('[{"job_name": "outreach-no-such-job"}]')$$, '22023',
                 'unknown governance job(s) in the job health: outreach-no-such-job',
                 'an unknown job name is refused');

SELECT * FROM finish();
ROLLBACK;
