-- Error governance jobs (docs/reference/governance.md): TTL intervals, TTL archiving (what expires, what never does,
-- archive metadata), auto-park, escalation thresholds and monotonic levels, archive cleanup,
-- the runner's audit row, the summary views.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(42);
\ir fixtures/governed_view_coverage.sql

CREATE FUNCTION pg_temp.total(p_table text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v bigint; a bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', p_table) INTO v;
    EXECUTE format('SELECT count(*) FROM %s', p_table || '_archive') INTO a;
    RETURN v + a;
END $$;

-- start from empty tables (the test runs in a transaction that is rolled back)
DELETE FROM outreach.dol_errors; DELETE FROM outreach.company_target_errors; DELETE FROM people.people_errors;
DELETE FROM company.url_discovery_failures; DELETE FROM public.shq_error_log;
DELETE FROM outreach.dol_errors_archive; DELETE FROM outreach.company_target_errors_archive;
DELETE FROM people.people_errors_archive; DELETE FROM company.url_discovery_failures_archive;
DELETE FROM public.shq_error_log_archive;

-- ---------------------------------------------------------------- ttl intervals
SELECT results_eq(
    $$SELECT t::text, shq.fn_get_ttl_interval(t) FROM unnest(enum_range(NULL::shq.ttl_tier)) t$$,
    $$VALUES ('SHORT', interval '7 days'), ('MEDIUM', interval '30 days'), ('LONG', interval '90 days'),
             ('INFINITE', NULL::interval)$$,
    'TTL: SHORT 7 days, MEDIUM 30, LONG 90, INFINITE NULL');
SELECT volatility_is('shq', 'fn_get_ttl_interval', ARRAY['shq.ttl_tier'], 'immutable', 'fn_get_ttl_interval is IMMUTABLE');

-- ---------------------------------------------------------------- TTL archiving
INSERT INTO outreach.company_target_errors
    (error_id, failure_code, error_message, context, created_at, disposition, retry_count, ttl_tier, parked_at,
     escalation_level)
VALUES (101, 'A', 'short retry, 8 days',       '{"n": 1}', now() - interval '8 days',    'RETRY',    2, 'SHORT',    NULL, 0),
       (102, 'B', 'short retry, 6 days',       '{}',       now() - interval '6 days',    'RETRY',    0, 'SHORT',    NULL, 0),
       (103, 'C', 'medium resolved, 31 days',  '{}',       now() - interval '31 days',   'RESOLVED', 1, 'MEDIUM',   NULL, 0),
       (104, 'D', 'medium ignore, 29 days',    '{}',       now() - interval '29 days',   'IGNORE',   0, 'MEDIUM',   NULL, 0),
       (105, 'E', 'long ignore, 91 days',      '{}',       now() - interval '91 days',   'IGNORE',   0, 'LONG',     NULL, 0),
       (106, 'F', 'long parked, 400 days',     '{}',       now() - interval '400 days',  'PARKED',   3, 'LONG',     now() - interval '300 days', 3),
       (107, 'G', 'infinite retry, 1000 days', '{}',       now() - interval '1000 days', 'RETRY',    0, 'INFINITE', NULL, 0),
       (108, 'H', 'long resolved, 89 days',    '{}',       now() - interval '89 days',   'RESOLVED', 0, 'LONG',     NULL, 0),
       (109, 'I', 'short parked, 30 days',     '{}',       now() - interval '30 days',   'PARKED',   3, 'SHORT',    now() - interval '1 day', 1),
       (110, 'J', 'infinite parked',           '{}',       now() - interval '1000 days', 'PARKED',   3, 'INFINITE', now() - interval '1 day', 1);
INSERT INTO public.shq_error_log (error_id, failure_code, created_at, disposition, ttl_tier)
VALUES (201, 'K', now() - interval '100 days', 'RESOLVED', 'LONG');
CREATE TEMP TABLE before_ct AS SELECT error_id, to_jsonb(e) - 'disposition' - 'archived_at' AS j FROM outreach.company_target_errors e;
CREATE TEMP TABLE totals_before AS SELECT g.table_name, pg_temp.total(g.table_name) AS n FROM shq.governed_error_tables g;

SELECT results_eq(
    $$SELECT table_name, archived FROM shq.fn_archive_expired_errors() ORDER BY table_name$$,
    $$VALUES ('company.url_discovery_failures', 0::bigint), ('outreach.company_target_errors', 3::bigint),
             ('outreach.dol_errors', 0::bigint), ('people.people_errors', 0::bigint), ('public.shq_error_log', 1::bigint)$$,
    'fn_archive_expired_errors: one row per governed table (schema-qualified), rows archived');
SELECT results_eq($$SELECT error_id FROM outreach.company_target_errors_archive ORDER BY 1$$,
                  $$VALUES (101::bigint), (103::bigint), (105::bigint)$$,
                  'archived: SHORT past 7 days, MEDIUM RESOLVED past 30, LONG IGNORE past 90');
SELECT results_eq($$SELECT error_id FROM outreach.company_target_errors ORDER BY 1$$,
                  $$VALUES (102::bigint), (104::bigint), (106::bigint), (107::bigint), (108::bigint), (109::bigint), (110::bigint)$$,
                  'kept: not yet expired, PARKED (whatever its age and tier), INFINITE');
SELECT is((SELECT count(*)::int FROM totals_before t WHERE pg_temp.total(t.table_name) <> t.n), 0,
          'row conservation: table + archive counts unchanged for every table');
SELECT is((SELECT count(*)::int FROM outreach.company_target_errors_archive a
             JOIN before_ct b USING (error_id)
            WHERE to_jsonb(a) - 'disposition' - 'archived_at' - 'archived_by' - 'archive_reason'
                  - 'final_disposition' - 'retention_expires_at' <> b.j),
          0, 'every governed column is copied unchanged to the archive');
SELECT results_eq(
    $$SELECT error_id, disposition::text, final_disposition::text, archive_reason, archived_by,
             archived_at = now(), retention_expires_at = now() + interval '1 year'
        FROM outreach.company_target_errors_archive ORDER BY error_id$$,
    $$VALUES (101::bigint, 'ARCHIVED', 'RETRY', 'TTL_EXPIRED', 'shq.fn_archive_expired_errors', true, true),
             (103::bigint, 'ARCHIVED', 'RESOLVED', 'TTL_EXPIRED', 'shq.fn_archive_expired_errors', true, true),
             (105::bigint, 'ARCHIVED', 'IGNORE', 'TTL_EXPIRED', 'shq.fn_archive_expired_errors', true, true)$$,
    'archive metadata: ARCHIVED, final_disposition, TTL_EXPIRED, archived_by, retention 1 year');
SELECT is((SELECT retention_expires_at = archived_at + interval '2 years' FROM public.shq_error_log_archive WHERE error_id = 201),
          true, 'public.shq_error_log_archive keeps 2 years');
SELECT results_eq($$SELECT sum(archived)::int FROM shq.fn_archive_expired_errors()$$, $$VALUES (0)$$,
                  'a second run archives nothing');

-- batches
INSERT INTO outreach.dol_errors (failure_code, created_at, ttl_tier)
SELECT 'BATCH', now() - interval '10 days' - i * interval '1 minute', 'SHORT' FROM generate_series(1, 5) i;
SELECT results_eq(
    $$SELECT archived FROM shq.fn_archive_expired_errors_batched(2, 1) WHERE table_name = 'outreach.dol_errors'$$,
    $$VALUES (2::bigint)$$, 'batch size 2, one batch: 2 rows move');
SELECT set_eq(
    $$SELECT error_id FROM outreach.dol_errors_archive$$,
    $$SELECT x.error_id FROM (SELECT error_id, created_at FROM outreach.dol_errors WHERE failure_code = 'BATCH'
                              UNION ALL
                              SELECT error_id, created_at FROM outreach.dol_errors_archive WHERE failure_code = 'BATCH') x
       ORDER BY x.created_at LIMIT 2$$,
    'batches take the oldest rows first');
SELECT results_eq(
    $$SELECT archived FROM shq.fn_archive_expired_errors_batched(2) WHERE table_name = 'outreach.dol_errors'$$,
    $$VALUES (3::bigint)$$, 'no batch limit: the remaining 3 rows move in batches of 2');
SELECT throws_ok($$SELECT * FROM shq.fn_archive_expired_errors_batched(0)$$, '22023', NULL, 'batch size 0: 22023');
SELECT throws_ok($$SELECT * FROM shq.fn_archive_expired_errors_batched(NULL)$$, '22023', NULL, 'batch size NULL: 22023');
SELECT throws_ok($$SELECT * FROM shq.fn_archive_expired_errors_batched(10, 0)$$, '22023', NULL, 'max batches 0: 22023');

-- a duplicate in the archive raises; nothing moves, nothing is dropped
INSERT INTO people.people_errors (error_id, failure_code, created_at, ttl_tier) VALUES (301, 'DUP', now() - interval '8 days', 'SHORT');
INSERT INTO people.people_errors_archive (error_id, failure_code, created_at, disposition, retry_count, max_retries,
                                          escalation_level, ttl_tier, retry_exhausted, archive_reason, final_disposition,
                                          retention_expires_at)
VALUES (301, 'OLD', now() - interval '2 years', 'ARCHIVED', 0, 3, 0, 'SHORT', false, 'MANUAL', 'RESOLVED', now() + interval '1 day');
SELECT throws_ok($$SELECT * FROM shq.fn_archive_expired_errors()$$, '23505', NULL,
                 'an error_id already in the archive raises 23505 (no ON CONFLICT DO NOTHING)');
SELECT results_eq($$SELECT (SELECT failure_code FROM people.people_errors WHERE error_id = 301),
                           (SELECT failure_code FROM people.people_errors_archive WHERE error_id = 301)$$,
                  $$VALUES ('DUP', 'OLD')$$, 'after the refused move both rows are where they were');
DELETE FROM people.people_errors WHERE error_id = 301;

-- ---------------------------------------------------------------- auto-park
INSERT INTO outreach.dol_errors (error_id, failure_code, disposition, retry_count, max_retries)
VALUES (401, 'EXHAUSTED', 'RETRY', 5, 5), (402, 'OVER', 'RETRY', 7, 5), (403, 'NOT_YET', 'RETRY', 4, 5),
       (404, 'RESOLVED', 'RESOLVED', 9, 5);
SELECT results_eq($$SELECT table_name, affected FROM shq.fn_auto_park_exhausted_retries() WHERE affected > 0$$,
                  $$VALUES ('outreach.dol_errors', 2::bigint)$$, 'auto-park parks the two exhausted RETRY rows');
SELECT results_eq(
    $$SELECT error_id, disposition::text, park_reason, parked_at = now(), retry_exhausted, parked_by, next_retry_at IS NULL
        FROM outreach.dol_errors WHERE error_id BETWEEN 401 AND 404 ORDER BY 1$$,
    $$VALUES (401::bigint, 'PARKED', 'MAX_RETRIES_EXCEEDED', true, true, 'shq.fn_auto_park_exhausted_retries', true),
             (402::bigint, 'PARKED', 'MAX_RETRIES_EXCEEDED', true, true, 'shq.fn_auto_park_exhausted_retries', true),
             (403::bigint, 'RETRY', NULL, NULL, false, NULL, true),
             (404::bigint, 'RESOLVED', NULL, NULL, false, NULL, true)$$,
    'parked with MAX_RETRIES_EXCEEDED; rows below max_retries or not in RETRY untouched');
SELECT results_eq($$SELECT sum(affected)::int FROM shq.fn_auto_park_exhausted_retries()$$, $$VALUES (0)$$,
                  'a second park run parks nothing');

-- ---------------------------------------------------------------- escalation
INSERT INTO people.people_errors (error_id, failure_code, disposition, parked_at, escalation_level, escalated_at)
VALUES (501, 'P23H', 'PARKED', now() - interval '23 hours 59 minutes', 0, NULL),
       (502, 'P24H', 'PARKED', now() - interval '24 hours', 0, NULL),
       (503, 'P71H', 'PARKED', now() - interval '71 hours 59 minutes', 0, NULL),
       (504, 'P72H', 'PARKED', now() - interval '72 hours', 0, NULL),
       (505, 'P25H_L1', 'PARKED', now() - interval '25 hours', 1, now() - interval '1 hour'),
       (506, 'P7D', 'PARKED', now() - interval '7 days', 0, NULL),
       (507, 'LEVEL3_RECENT', 'PARKED', now() - interval '1 hour', 3, now() - interval '2 days'),
       (508, 'LEVEL2_8D', 'PARKED', now() - interval '8 days', 2, now() - interval '3 days'),
       (509, 'RETRY_OLD_PARK', 'RETRY', now() - interval '10 days', 0, NULL);
SELECT results_eq($$SELECT affected FROM shq.fn_escalate_stale_parked_errors() WHERE table_name = 'people.people_errors'$$,
                  $$VALUES (5::bigint)$$, 'escalation raised five levels');
SELECT results_eq(
    $$SELECT error_id, escalation_level, escalated_at = now() FROM people.people_errors WHERE error_id BETWEEN 501 AND 509 ORDER BY 1$$,
    $$VALUES (501::bigint, 0, NULL::boolean), (502::bigint, 1, true), (503::bigint, 1, true), (504::bigint, 2, true),
             (505::bigint, 1, false), (506::bigint, 3, true), (507::bigint, 3, false), (508::bigint, 3, true),
             (509::bigint, 0, NULL)$$,
    'levels: <24 h 0, 24 h 1, 72 h 2, 7 days 3; a level never falls; escalated_at only when it rises; RETRY rows never');
SELECT results_eq($$SELECT sum(affected)::int FROM shq.fn_escalate_stale_parked_errors()$$, $$VALUES (0)$$,
                  'a second escalation run changes nothing');
UPDATE people.people_errors SET parked_at = now() - interval '1 minute' WHERE error_id = 506;
SELECT shq.fn_escalate_stale_parked_errors();
SELECT is((SELECT escalation_level FROM people.people_errors WHERE error_id = 506), 3,
          'a level never decreases, even when parked_at moves later');

-- ---------------------------------------------------------------- cleanup
INSERT INTO outreach.dol_errors_archive (error_id, failure_code, created_at, disposition, retry_count, max_retries,
                                         escalation_level, ttl_tier, retry_exhausted, archive_reason,
                                         final_disposition, retention_expires_at)
VALUES (601, 'PAST', now() - interval '3 years', 'ARCHIVED', 0, 5, 0, 'LONG', false, 'TTL_EXPIRED', 'RESOLVED', now() - interval '1 second'),
       (602, 'FUTURE', now() - interval '1 year', 'ARCHIVED', 0, 5, 0, 'LONG', false, 'TTL_EXPIRED', 'RESOLVED', now() + interval '1 day');
CREATE TEMP TABLE arch_before AS SELECT error_id FROM outreach.dol_errors_archive WHERE error_id NOT IN (601);
SELECT results_eq($$SELECT table_name, affected FROM shq.fn_cleanup_expired_archives() ORDER BY table_name$$,
                  $$VALUES ('company.url_discovery_failures', 0::bigint), ('outreach.company_target_errors', 0::bigint),
                           ('outreach.dol_errors', 1::bigint), ('people.people_errors', 0::bigint),
                           ('public.shq_error_log', 0::bigint)$$,
                  'cleanup: one row per governed table; only the row past retention is deleted');
SELECT set_eq($$SELECT error_id FROM outreach.dol_errors_archive$$, $$SELECT error_id FROM arch_before$$,
              'cleanup removed only the archive row past retention_expires_at');

-- ---------------------------------------------------------------- runner
INSERT INTO outreach.company_target_errors (error_id, failure_code, disposition, retry_count, max_retries, created_at, ttl_tier)
VALUES (701, 'EXHAUSTED_AND_OLD', 'RETRY', 3, 3, now() - interval '100 days', 'SHORT'),
       (702, 'OLD', 'RETRY', 0, 3, now() - interval '100 days', 'SHORT');
CREATE TEMP TABLE audit_before AS SELECT count(*) AS n FROM shq.audit_log;
CREATE TEMP TABLE run AS SELECT * FROM shq.fn_run_error_governance_jobs();
SELECT is((SELECT count(*) FROM shq.audit_log) - (SELECT n FROM audit_before), 1::bigint,
          'the runner writes exactly one audit row');
SELECT results_eq($$SELECT DISTINCT job FROM run ORDER BY 1$$, $$VALUES ('archive'), ('escalate'), ('park')$$,
                  'the runner reports the jobs archive, park, escalate');
SELECT is((SELECT count(*)::int FROM run), 15, 'one row per job and governed table');
SELECT results_eq(
    $$SELECT job, affected FROM run WHERE table_name = 'outreach.company_target_errors' ORDER BY job$$,
    $$VALUES ('archive', 1::bigint), ('escalate', 0::bigint), ('park', 1::bigint)$$,
    'an exhausted row is parked before TTL archiving could sweep it; the other expired row is archived');
SELECT is((SELECT disposition FROM outreach.company_target_errors WHERE error_id = 701), 'PARKED'::shq.error_disposition,
          'the exhausted, expired row is PARKED, not archived');
SELECT is(
    (SELECT jsonb_build_object('e', event_type, 't', details->'totals', 'a', details->'archive'->'outreach.company_target_errors')
       FROM shq.audit_log ORDER BY audit_id DESC LIMIT 1),
    jsonb_build_object('e', 'ERROR_GOVERNANCE_RUN', 't', jsonb_build_object('park', 1, 'archive', 1, 'escalate', 0), 'a', 1),
    'audit row ERROR_GOVERNANCE_RUN with the counts');

-- ---------------------------------------------------------------- views
SELECT results_eq(
    $$SELECT disposition::text, errors, max_escalation_level FROM shq.vw_error_governance_summary
       WHERE table_name = 'people.people_errors' ORDER BY 1$$,
    $$VALUES ('PARKED', 8::bigint, 3), ('RETRY', 1::bigint, 0)$$,
    'summary: errors and highest escalation level per table and disposition');
SELECT is((SELECT oldest FROM shq.vw_error_governance_summary WHERE table_name = 'outreach.company_target_errors'
              AND disposition = 'PARKED'),
          (SELECT min(created_at) FROM outreach.company_target_errors WHERE disposition = 'PARKED'),
          'summary: oldest is the oldest created_at');
UPDATE people.people_errors SET outreach_id = '22222222-2222-2222-2222-222222222222' WHERE error_id IN (501, 506, 509);
INSERT INTO people.people_errors (failure_code, outreach_id, disposition)
VALUES ('RESOLVED_DOES_NOT_BLOCK', '22222222-2222-2222-2222-222222222222', 'RESOLVED'),
       ('IGNORE_DOES_NOT_BLOCK', '22222222-2222-2222-2222-222222222222', 'IGNORE');
SELECT results_eq(
    $$SELECT table_name, blocking_errors, max_escalation_level, oldest_blocking_at = (SELECT min(created_at) FROM people.people_errors WHERE error_id IN (501, 506, 509))
        FROM shq.vw_blocking_errors_by_outreach WHERE outreach_id = '22222222-2222-2222-2222-222222222222'$$,
    $$VALUES ('people.people_errors', 3::bigint, 3, true)$$,
    'blocking view: RETRY and PARKED rows count, RESOLVED and IGNORE do not');
SELECT is((SELECT count(*)::int FROM shq.vw_blocking_errors_by_outreach WHERE outreach_id IS NULL), 0,
          'errors without an outreach_id block no one');
-- every registry table is a branch of both views (add the branch when registering a sixth table)
SELECT is(pg_temp.governed_tables_not_read_by('shq.vw_error_governance_summary'),
          NULL, 'vw_error_governance_summary reads every registered table');
SELECT is(pg_temp.governed_tables_not_read_by('shq.vw_blocking_errors_by_outreach'),
          NULL, 'vw_blocking_errors_by_outreach reads every registered table');
SET LOCAL ROLE outreach_reader;
SELECT lives_ok($$SELECT * FROM shq.vw_error_governance_summary$$, 'outreach_reader reads the summary view');
SELECT lives_ok($$SELECT * FROM shq.vw_blocking_errors_by_outreach$$, 'outreach_reader reads the blocking view');
SELECT lives_ok($$SELECT * FROM shq.vw_governance_job_health$$, 'outreach_reader reads the job health view');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
