-- Error governance (docs/reference/governance.md): recording errors and registering retries — defaults, TTL tier
-- from the failure code, backoff, parking at max_retries, bad input, roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(47);

-- one row of a governed table as jsonb
CREATE FUNCTION pg_temp.err(p_table text, p_id bigint) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE v jsonb;
BEGIN
    EXECUTE format('SELECT to_jsonb(t) FROM %s t WHERE error_id = $1', p_table) INTO v USING p_id;
    RETURN v;
END $$;
CREATE FUNCTION pg_temp.n(p_table text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', p_table) INTO v;
    RETURN v;
END $$;

-- ---------------------------------------------------------------- record: defaults
SELECT is((SELECT count(*)::int FROM shq.governed_error_tables), 5, 'five governed error tables are registered');

CREATE TEMP TABLE rec AS
SELECT g.table_name, g.max_retries,
       shq.fn_record_error(g.table_name, '11111111-1111-1111-1111-111111111111'::uuid, 'HTTP_500', 'boom',
                           '{"k": "v"}'::jsonb) AS error_id
  FROM shq.governed_error_tables g;

SELECT is((SELECT count(*)::int FROM rec WHERE error_id IS NOT NULL), 5, 'fn_record_error returns an error_id for every table');
SELECT is(
    (SELECT count(*)::int FROM rec r, LATERAL pg_temp.err(r.table_name, r.error_id) e
      WHERE e->>'disposition' = 'RETRY' AND (e->>'retry_count')::int = 0 AND e->>'ttl_tier' = 'LONG'
        AND (e->>'escalation_level')::int = 0 AND (e->>'max_retries')::int = r.max_retries
        AND e->>'failure_code' = 'HTTP_500' AND e->>'error_message' = 'boom' AND e->'context' = '{"k": "v"}'
        AND e->>'outreach_id' = '11111111-1111-1111-1111-111111111111'
        AND (e->>'next_retry_at')::timestamptz = now() + interval '5 minutes'
        AND (e->>'created_at')::timestamptz = now() AND e->>'resolved_at' IS NULL
        AND (e->>'retry_exhausted')::boolean = false AND e->>'parked_at' IS NULL),
    5, 'every table: RETRY, retry_count 0, LONG, level 0, max_retries from the registry, next retry in 5 min');
SELECT results_eq(
    $$SELECT table_name, max_retries FROM rec ORDER BY table_name$$,
    $$VALUES ('company.url_discovery_failures', 3), ('outreach.company_target_errors', 3),
             ('outreach.dol_errors', 5), ('people.people_errors', 3), ('public.shq_error_log', 3)$$,
    'max_retries: 5 for dol_errors, 3 elsewhere');

-- ---------------------------------------------------------------- record: ttl tier
SELECT results_eq(
    $$SELECT c, pg_temp.err('outreach.company_target_errors',
                            shq.fn_record_error('outreach.company_target_errors', NULL, c, 'x'))->>'ttl_tier'
        FROM unnest(ARRAY['RATE_LIMIT', 'TIMEOUT', 'VALIDATION_ERROR', 'MISSING_DATA', 'HTTP_500', ' timeout ']) WITH ORDINALITY AS u(c, o)
       ORDER BY o$$,
    $$VALUES ('RATE_LIMIT', 'SHORT'), ('TIMEOUT', 'SHORT'), ('VALIDATION_ERROR', 'MEDIUM'),
             ('MISSING_DATA', 'MEDIUM'), ('HTTP_500', 'LONG'), (' timeout ', 'SHORT')$$,
    'ttl_tier from the failure code: RATE_LIMIT/TIMEOUT SHORT, VALIDATION_ERROR/MISSING_DATA MEDIUM, else LONG');
SELECT is(pg_temp.err('people.people_errors',
                      shq.fn_record_error('people.people_errors', NULL, 'TIMEOUT', 'x', '{}', 'INFINITE'))->>'ttl_tier',
          'INFINITE', 'an explicit ttl_tier wins over the failure code');
SELECT is(pg_temp.err('people.people_errors',
                      shq.fn_record_error('people.people_errors', NULL, 'X', NULL, NULL))->'context',
          '{}'::jsonb, 'NULL context is stored as {}');
SELECT is(pg_temp.err('outreach.dol_errors',
                      shq.fn_record_error(' OUTREACH.DOL_ERRORS ', NULL, 'CASE_TEST', NULL))->>'failure_code',
          'CASE_TEST', 'the table name is matched trimmed and case-insensitively');

-- ---------------------------------------------------------------- record: bad input
CREATE TEMP TABLE counts_before AS SELECT g.table_name, pg_temp.n(g.table_name) AS n FROM shq.governed_error_tables g;
SELECT throws_ok($$SELECT shq.fn_record_error('outreach.no_such_errors', NULL, 'X', 'x')$$, '22023', NULL,
                 'unknown error table: 22023');
SELECT throws_ok($$SELECT shq.fn_record_error('outreach.outreach', NULL, 'X', 'x')$$, '22023', NULL,
                 'a real table that is not governed: 22023');
SELECT throws_ok($$SELECT shq.fn_record_error('dol_errors', NULL, 'X', 'x')$$, '22023', NULL,
                 'an unqualified name: 22023');
SELECT throws_ok($$SELECT shq.fn_record_error('  ', NULL, 'X', 'x')$$, '22023', NULL, 'blank table name: 22023');
SELECT throws_ok($$SELECT shq.fn_record_error(NULL, NULL, 'X', 'x')$$, '22023', NULL, 'NULL table name: 22023');
SELECT throws_ok($$SELECT shq.fn_record_error('outreach.dol_errors', NULL, ' ', 'x')$$, '22023', NULL,
                 'blank failure_code: 22023');
SELECT throws_ok($$SELECT shq.fn_record_error('outreach.dol_errors', NULL, NULL, 'x')$$, '22023', NULL,
                 'NULL failure_code: 22023');
SELECT throws_ok($$SELECT shq.fn_record_error('outreach.dol_errors', NULL, 'X', 'x', '[1, 2]')$$, '22023', NULL,
                 'a context that is not an object: 22023');
SELECT is((SELECT count(*)::int FROM counts_before c WHERE pg_temp.n(c.table_name) <> c.n), 0,
          'refused calls recorded nothing');

-- ---------------------------------------------------------------- retries: backoff and parking
CREATE TEMP TABLE d AS SELECT shq.fn_record_error('outreach.dol_errors', NULL, 'HTTP_500', 'retry me') AS id;
SELECT results_eq(
    $$SELECT shq.fn_register_retry_attempt('outreach.dol_errors', (SELECT id FROM d), false)::text,
             (pg_temp.err('outreach.dol_errors', (SELECT id FROM d))->>'retry_count')::int,
             (pg_temp.err('outreach.dol_errors', (SELECT id FROM d))->>'next_retry_at')::timestamptz - now()
        FROM generate_series(1, 4)$$,
    $$VALUES ('RETRY', 1, interval '10 minutes'), ('RETRY', 2, interval '20 minutes'),
             ('RETRY', 3, interval '40 minutes'), ('RETRY', 4, interval '80 minutes')$$,
    'each failure: retry_count+1, next_retry_at = now() + 5 min x 2^retry_count');
SELECT is((pg_temp.err('outreach.dol_errors', (SELECT id FROM d))->>'last_retry_at')::timestamptz, now(),
          'a failure sets last_retry_at');
SELECT is(shq.fn_register_retry_attempt('outreach.dol_errors', (SELECT id FROM d), false), 'PARKED'::shq.error_disposition,
          'the 5th failure of a dol error (max_retries 5) parks it');
SELECT is(
    (SELECT jsonb_build_object('d', e->'disposition', 'n', e->'retry_count', 'r', e->'park_reason',
                               'x', e->'retry_exhausted', 'p', (e->>'parked_at')::timestamptz = now(),
                               'b', e->'parked_by', 'next', e->'next_retry_at')
       FROM pg_temp.err('outreach.dol_errors', (SELECT id FROM d)) e),
    jsonb_build_object('d', 'PARKED', 'n', 5, 'r', 'MAX_RETRIES_EXCEEDED', 'x', true, 'p', true,
                       'b', session_user::text, 'next', NULL),
    'parked: MAX_RETRIES_EXCEEDED, parked_at, parked_by, retry_exhausted, no next retry');
CREATE TEMP TABLE parked_row AS SELECT pg_temp.err('outreach.dol_errors', (SELECT id FROM d)) AS e;
SELECT throws_ok(format('SELECT shq.fn_register_retry_attempt(%L, %s, false)', 'outreach.dol_errors', (SELECT id FROM d)),
                 '22023', NULL, 'a retry on a PARKED error is refused (22023)');
SELECT throws_ok(format('SELECT shq.fn_register_retry_attempt(%L, %s, true)', 'outreach.dol_errors', (SELECT id FROM d)),
                 '22023', NULL, 'a successful retry on a PARKED error is refused too');
SELECT is(pg_temp.err('outreach.dol_errors', (SELECT id FROM d)), (SELECT e FROM parked_row),
          'the refused retries changed nothing');

CREATE TEMP TABLE c3 AS SELECT shq.fn_record_error('outreach.company_target_errors', NULL, 'HTTP_500', 'x') AS id;
SELECT results_eq(
    $$SELECT shq.fn_register_retry_attempt('outreach.company_target_errors', (SELECT id FROM c3), false)::text
        FROM generate_series(1, 3)$$,
    $$VALUES ('RETRY'), ('RETRY'), ('PARKED')$$,
    'max_retries 3: the 3rd failure parks');

-- the 24 h cap
CREATE TEMP TABLE cap AS SELECT shq.fn_record_error('people.people_errors', NULL, 'HTTP_500', 'x') AS id;
UPDATE people.people_errors SET max_retries = 100, retry_count = 7 WHERE error_id = (SELECT id FROM cap);
SELECT is(shq.fn_register_retry_attempt('people.people_errors', (SELECT id FROM cap), false), 'RETRY'::shq.error_disposition,
          'failure below max_retries stays RETRY');
SELECT is((pg_temp.err('people.people_errors', (SELECT id FROM cap))->>'next_retry_at')::timestamptz - now(),
          interval '5 minutes' * 256, '8th failure: 5 min x 2^8 = 21 h 20 min');
SELECT shq.fn_register_retry_attempt('people.people_errors', (SELECT id FROM cap), false);
SELECT is((pg_temp.err('people.people_errors', (SELECT id FROM cap))->>'next_retry_at')::timestamptz - now(),
          interval '24 hours', '9th failure: capped at 24 h');
UPDATE people.people_errors SET retry_count = 60 WHERE error_id = (SELECT id FROM cap);
SELECT shq.fn_register_retry_attempt('people.people_errors', (SELECT id FROM cap), false);
SELECT is((pg_temp.err('people.people_errors', (SELECT id FROM cap))->>'next_retry_at')::timestamptz - now(),
          interval '24 hours', 'a huge retry_count stays capped at 24 h (no overflow)');

-- success
CREATE TEMP TABLE ok AS SELECT shq.fn_record_error('public.shq_error_log', NULL, 'TIMEOUT', 'x') AS id;
SELECT is(shq.fn_register_retry_attempt('public.shq_error_log', (SELECT id FROM ok), true), 'RESOLVED'::shq.error_disposition,
          'a successful retry resolves');
SELECT is(
    (SELECT jsonb_build_object('d', e->'disposition', 'r', (e->>'resolved_at')::timestamptz = now(), 'next', e->'next_retry_at')
       FROM pg_temp.err('public.shq_error_log', (SELECT id FROM ok)) e),
    jsonb_build_object('d', 'RESOLVED', 'r', true, 'next', NULL), 'RESOLVED with resolved_at, no next retry');
SELECT throws_ok(format('SELECT shq.fn_register_retry_attempt(%L, %s, false)', 'public.shq_error_log', (SELECT id FROM ok)),
                 '22023', NULL, 'a retry on a RESOLVED error is refused');

-- bad input
SELECT throws_ok($$SELECT shq.fn_register_retry_attempt('outreach.dol_errors', -42, false)$$, 'P0002', NULL,
                 'unknown error_id: P0002 (no_data_found)');
SELECT throws_ok($$SELECT shq.fn_register_retry_attempt('outreach.dol_errors', NULL, false)$$, '22023', NULL,
                 'NULL error_id: 22023');
SELECT throws_ok(format('SELECT shq.fn_register_retry_attempt(%L, %s, NULL)', 'people.people_errors', (SELECT id FROM cap)),
                 '22023', NULL, 'NULL outcome: 22023');
SELECT throws_ok(format('SELECT shq.fn_register_retry_attempt(%L, %s, false)', 'outreach.nope', (SELECT id FROM cap)),
                 '22023', NULL, 'unknown table: 22023');
-- an archived error
SELECT shq.fn_archive_error('public.shq_error_log', (SELECT id FROM ok), 'pgTAP', 'pgtap');
SELECT throws_like(format('SELECT shq.fn_register_retry_attempt(%L, %s, false)', 'public.shq_error_log', (SELECT id FROM ok)),
                   '%archived%', 'a retry on an archived error says it was archived');

-- ---------------------------------------------------------------- roles
SELECT is_definer('shq', 'fn_record_error', ARRAY['text', 'uuid', 'text', 'text', 'jsonb', 'shq.ttl_tier'],
                  'fn_record_error is SECURITY DEFINER');
SELECT is_definer('shq', 'fn_register_retry_attempt', ARRAY['text', 'bigint', 'boolean'],
                  'fn_register_retry_attempt is SECURITY DEFINER');
SET LOCAL ROLE outreach_hub_writer;
SELECT lives_ok($$SELECT shq.fn_record_error('outreach.dol_errors', NULL, 'X', 'by hub writer')$$,
                'outreach_hub_writer records errors');
SELECT lives_ok($$SELECT shq.fn_register_retry_attempt('outreach.dol_errors', (SELECT max(error_id) FROM outreach.dol_errors), false)$$,
                'outreach_hub_writer registers retries');
SELECT throws_ok($$INSERT INTO outreach.dol_errors (failure_code) VALUES ('X')$$, '42501', NULL,
                 'outreach_hub_writer cannot INSERT into an error table directly');
SELECT throws_ok($$SELECT * FROM shq.fn_run_error_governance_jobs()$$, '42501', NULL,
                 'outreach_hub_writer cannot run the governance jobs');
RESET ROLE;
SET LOCAL ROLE outreach_governor;
SELECT lives_ok($$SELECT shq.fn_record_error('people.people_errors', NULL, 'X', 'by governor')$$,
                'outreach_governor records errors');
RESET ROLE;
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT shq.fn_record_error('outreach.dol_errors', NULL, 'X', 'x')$$, '42501', NULL,
                 'outreach_reader cannot record errors');
SELECT throws_ok($$SELECT shq.fn_register_retry_attempt('outreach.dol_errors', 1, true)$$, '42501', NULL,
                 'outreach_reader cannot register retries');
SELECT throws_ok($$SELECT count(*) FROM outreach.dol_errors$$, '42501', NULL, 'outreach_reader cannot read a raw error table');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
