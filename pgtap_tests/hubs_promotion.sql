-- Hubs: DONE checkers, blocking-error checkers, promotion blockers
-- (every one), fn_can_promote_to_hub, the readiness views, and who may call them.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(63);
\ir fixtures/company.sql

CREATE FUNCTION pg_temp.tid(p_cid text) RETURNS text LANGUAGE sql AS $$
    SELECT target_id FROM outreach.company_target WHERE company_unique_id = p_cid;
$$;
CREATE FUNCTION pg_temp.blockers(p_cid text) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(hub_id || ':' || blocker_type, ',' ORDER BY hub_id, blocker_type)
      FROM shq.fn_get_promotion_blockers(pg_temp.oid(p_cid));
$$;

SELECT pg_temp.mk_company('PR-A', 0);
SELECT pg_temp.mk_company('PR-B', 0);

-- ---------------------------------------------------------------- DONE checkers: unknown ids
SELECT is(ARRAY[shq.fn_check_company_target_done(x), shq.fn_check_dol_done(x), shq.fn_check_people_done(x),
                shq.fn_check_people_done(x, 0), shq.fn_check_blog_done(x), shq.fn_check_talent_flow_done(x)],
          ARRAY[false, false, false, false, false, false], 'every DONE checker is false for an unknown id')
  FROM (VALUES ('00000000-0000-0000-0000-000000000000'::uuid)) v (x);
SELECT is(ARRAY[shq.fn_check_company_target_done(NULL), shq.fn_check_dol_done(NULL), shq.fn_check_people_done(NULL, NULL),
                shq.fn_check_blog_done(NULL), shq.fn_check_talent_flow_done(NULL)],
          ARRAY[false, false, false, false, false], 'every DONE checker is false for NULL, never raising');
SELECT is(ARRAY[shq.fn_has_blocking_dol_errors(NULL), shq.fn_has_blocking_company_target_errors(NULL),
                shq.fn_has_blocking_people_errors(NULL)], ARRAY[false, false, false], 'blocking checkers are false for NULL');

-- ---------------------------------------------------------------- company target DONE
SELECT is(shq.fn_check_company_target_done(pg_temp.oid('PR-A')), false, 'a new target is not DONE');
SELECT outreach.fn_update_company_target(pg_temp.tid('PR-A'), 'ready', 'pattern', NULL, 0.9, false);
SELECT is(shq.fn_check_company_target_done(pg_temp.oid('PR-A')), false, 'not DONE without imo_completed_at');
SELECT outreach.fn_update_company_target(pg_temp.tid('PR-A'), 'pending', 'pattern', NULL, 0.9, true);
SELECT is(shq.fn_check_company_target_done(pg_temp.oid('PR-A')), false, 'not DONE while execution_status is pending');
SELECT outreach.fn_update_company_target(pg_temp.tid('PR-A'), 'ready', NULL, NULL, 0.9, true);
SELECT is(shq.fn_check_company_target_done(pg_temp.oid('PR-A')), false, 'not DONE without email_method');
SELECT outreach.fn_update_company_target(pg_temp.tid('PR-A'), 'ready', '  ', NULL, 0.9, true);
SELECT is(shq.fn_check_company_target_done(pg_temp.oid('PR-A')), false, 'a blank email_method is not set');
SELECT outreach.fn_update_company_target(pg_temp.tid('PR-A'), 'ready', 'pattern', NULL, NULL, true);
SELECT is(shq.fn_check_company_target_done(pg_temp.oid('PR-A')), false, 'not DONE without confidence_score');
SELECT outreach.fn_update_company_target(pg_temp.tid('PR-A'), 'ready', 'pattern', NULL, 0, true);
SELECT is(shq.fn_check_company_target_done(pg_temp.oid('PR-A')), true, 'DONE: ready, method, score (0 counts), completed');

-- ---------------------------------------------------------------- DOL, people, blog, talent flow
INSERT INTO outreach.dol (target_id, outreach_id, company_unique_id, ein, filing_present)
VALUES (pg_temp.tid('PR-A'), pg_temp.oid('PR-A'), 'PR-A', NULL, true);
SELECT is(shq.fn_check_dol_done(pg_temp.oid('PR-A')), false, 'DOL without an ein is not DONE');
UPDATE outreach.dol SET ein = '12-3456789', filing_present = false WHERE outreach_id = pg_temp.oid('PR-A');
SELECT is(shq.fn_check_dol_done(pg_temp.oid('PR-A')), false, 'DOL without a filing is not DONE');
UPDATE outreach.dol SET filing_present = true WHERE outreach_id = pg_temp.oid('PR-A');
SELECT is(shq.fn_check_dol_done(pg_temp.oid('PR-A')), true, 'DOL with ein and filing is DONE');
SELECT is(shq.fn_check_dol_done(pg_temp.oid('PR-B')), false, 'another company''s DOL row does not count');

INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type, is_filled)
VALUES (pg_temp.tid('PR-A'), pg_temp.oid('PR-A'), 'PR-A', 'CFO', false);
SELECT is(shq.fn_check_people_done(pg_temp.oid('PR-A')), false, 'an empty slot is not DONE');
INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type, is_filled)
VALUES (pg_temp.tid('PR-A'), pg_temp.oid('PR-A'), 'PR-A', 'CEO', true);
SELECT is(shq.fn_check_people_done(pg_temp.oid('PR-A')), true, 'one filled slot: DONE with the default min_slots 1');
SELECT is(shq.fn_check_people_done(pg_temp.oid('PR-A'), 2), false, 'one filled slot is not 2');
SELECT is(shq.fn_check_people_done(pg_temp.oid('PR-A'), NULL), true, 'NULL min_slots means the default 1');
UPDATE people.company_slot SET is_filled = true WHERE outreach_id = pg_temp.oid('PR-A');
SELECT is(shq.fn_check_people_done(pg_temp.oid('PR-A'), 2), true, 'two filled slots meet min_slots 2');

SELECT is(shq.fn_check_blog_done(pg_temp.oid('PR-A')), false, 'no blog row: not DONE');
INSERT INTO outreach.blog (target_id, outreach_id, company_unique_id) VALUES (pg_temp.tid('PR-A'), pg_temp.oid('PR-A'), 'PR-A');
SELECT is(shq.fn_check_blog_done(pg_temp.oid('PR-A')), true, 'a blog row, even never checked: DONE');

INSERT INTO outreach.talent_flow (target_id, outreach_id, company_unique_id) VALUES (pg_temp.tid('PR-A'), pg_temp.oid('PR-A'), 'PR-A');
SELECT is(shq.fn_check_talent_flow_done(pg_temp.oid('PR-A')), false, 'talent flow never scanned: not DONE');
UPDATE outreach.talent_flow SET last_scan_at = now() WHERE outreach_id = pg_temp.oid('PR-A');
SELECT is(shq.fn_check_talent_flow_done(pg_temp.oid('PR-A')), true, 'talent flow scanned: DONE');

-- ---------------------------------------------------------------- blocking-error checkers
INSERT INTO outreach.dol_errors (outreach_id, failure_code) VALUES (pg_temp.oid('PR-B'), 'TIMEOUT');
SELECT is(shq.fn_has_blocking_dol_errors(pg_temp.oid('PR-B')), true, 'a RETRY dol error blocks');
SELECT is(shq.fn_has_blocking_dol_errors(pg_temp.oid('PR-A')), false, 'another company''s error does not');
SELECT is(shq.fn_has_blocking_company_target_errors(pg_temp.oid('PR-B')), false, 'a dol error is not a company target error');
UPDATE outreach.dol_errors SET disposition = 'PARKED', parked_at = now() WHERE outreach_id = pg_temp.oid('PR-B');
SELECT is(shq.fn_has_blocking_dol_errors(pg_temp.oid('PR-B')), true, 'a PARKED dol error blocks');
UPDATE outreach.dol_errors SET disposition = 'RESOLVED' WHERE outreach_id = pg_temp.oid('PR-B');
SELECT is(shq.fn_has_blocking_dol_errors(pg_temp.oid('PR-B')), false, 'a RESOLVED dol error does not block');
UPDATE outreach.dol_errors SET disposition = 'IGNORE' WHERE outreach_id = pg_temp.oid('PR-B');
SELECT is(shq.fn_has_blocking_dol_errors(pg_temp.oid('PR-B')), false, 'an IGNOREd dol error does not block');
UPDATE outreach.dol_errors SET disposition = 'ARCHIVED' WHERE outreach_id = pg_temp.oid('PR-B');
SELECT is(shq.fn_has_blocking_dol_errors(pg_temp.oid('PR-B')), false, 'an ARCHIVED dol error does not block');
INSERT INTO outreach.company_target_errors (outreach_id, failure_code) VALUES (pg_temp.oid('PR-B'), 'VALIDATION_ERROR');
INSERT INTO people.people_errors (outreach_id, failure_code) VALUES (pg_temp.oid('PR-B'), 'MISSING_DATA');
SELECT is(ARRAY[shq.fn_has_blocking_company_target_errors(pg_temp.oid('PR-B')), shq.fn_has_blocking_people_errors(pg_temp.oid('PR-B'))],
          ARRAY[true, true], 'company target and people errors block through their own checkers');

-- ---------------------------------------------------------------- blockers
SELECT results_eq($$SELECT hub_id, blocker_type FROM shq.fn_get_promotion_blockers('00000000-0000-0000-0000-000000000000')$$,
                  $$VALUES (NULL::text, 'UNKNOWN_OUTREACH_ID'::text)$$, 'an unknown id: one UNKNOWN_OUTREACH_ID row');
SELECT results_eq($$SELECT hub_id, blocker_type FROM shq.fn_get_promotion_blockers(NULL)$$,
                  $$VALUES (NULL::text, 'UNKNOWN_OUTREACH_ID'::text)$$, 'NULL: one UNKNOWN_OUTREACH_ID row');
SELECT is(pg_temp.blockers('PR-B'),
          'bit-engine:NOT_DONE,bit-engine:PREREQUISITE_NOT_PASSED,blog-content:NOT_DONE,blog-content:PREREQUISITE_NOT_PASSED,'
          'company-target:BLOCKING_ERRORS,company-target:NOT_DONE,dol-filings:NOT_DONE,dol-filings:PREREQUISITE_NOT_PASSED,'
          'people-intelligence:BLOCKING_ERRORS,people-intelligence:NOT_DONE,people-intelligence:PREREQUISITE_NOT_PASSED,'
          'talent-flow:NOT_DONE,talent-flow:PREREQUISITE_NOT_PASSED',
          'every blocker of every hub is listed, several per hub');
SELECT ok((SELECT bool_and(detail LIKE '%' || hub_id || '%') FROM shq.fn_get_promotion_blockers(pg_temp.oid('PR-B'))),
          'each detail names its hub');
SELECT ok((SELECT detail LIKE '%people.people_errors%' FROM shq.fn_get_promotion_blockers(pg_temp.oid('PR-B'))
            WHERE hub_id = 'people-intelligence' AND blocker_type = 'BLOCKING_ERRORS'), 'BLOCKING_ERRORS names the error table');
SELECT is(pg_temp.blockers('PR-A'),
          'bit-engine:NOT_DONE,bit-engine:PREREQUISITE_NOT_PASSED,blog-content:PREREQUISITE_NOT_PASSED,'
          'dol-filings:PREREQUISITE_NOT_PASSED,people-intelligence:PREREQUISITE_NOT_PASSED,talent-flow:PREREQUISITE_NOT_PASSED',
          'PR-A: everything DONE but bit-engine, all waiting for company-target');
SELECT outreach.fn_set_hub_status('PR-A', 'company-target', 'PASS', 'pgtap');
SELECT is(pg_temp.blockers('PR-A'), 'bit-engine:NOT_DONE', 'after company-target PASS only the BIT score is missing');

-- ---------------------------------------------------------------- can promote
SELECT is(shq.fn_can_promote_to_hub(pg_temp.oid('PR-A'), 'dol-filings'), true, 'dol-filings can be promoted');
SELECT is(shq.fn_can_promote_to_hub(pg_temp.oid('PR-A'), 'bit-engine'), false, 'bit-engine cannot (not DONE)');
SELECT is(shq.fn_can_promote_to_hub(pg_temp.oid('PR-A'), 'company-target'), true, 'a hub already at PASS whose gate holds: true');
SELECT is(shq.fn_can_promote_to_hub(pg_temp.oid('PR-B'), 'company-target'), false, 'blocking errors: false');
SELECT is(shq.fn_can_promote_to_hub('00000000-0000-0000-0000-000000000000', 'company-target'), false, 'unknown outreach id: false');
SELECT is(shq.fn_can_promote_to_hub(NULL, 'company-target'), false, 'NULL outreach id: false');
SELECT throws_ok(format($$SELECT shq.fn_can_promote_to_hub(%L, 'no-such-hub')$$, pg_temp.oid('PR-A')), '22023', NULL,
                 'unknown hub: 22023');
SELECT throws_ok(format($$SELECT shq.fn_can_promote_to_hub(%L, NULL)$$, pg_temp.oid('PR-A')), '22023', NULL, 'NULL hub: 22023');
SELECT is((SELECT count(*) FROM outreach.outreach o CROSS JOIN outreach.hub_registry hr
            WHERE shq.fn_can_promote_to_hub(o.outreach_id, hr.hub_id)
                  = EXISTS (SELECT 1 FROM shq.fn_get_promotion_blockers(o.outreach_id) b WHERE b.hub_id = hr.hub_id)),
          0::bigint, 'for every company and hub: can promote <=> no blocker for that hub');
SELECT is((SELECT count(*) FROM outreach.outreach o
            WHERE shq.fn_check_company_target_done(o.outreach_id) IS DISTINCT FROM
                  (SELECT company_target_done FROM shq.vw_promotion_readiness r WHERE r.outreach_id = o.outreach_id)), 0::bigint,
          'the readiness view agrees with the company target checker');

-- ---------------------------------------------------------------- readiness views
SELECT results_eq(
    $$SELECT company_unique_id, company_target_done, dol_done, people_done, blog_done, talent_flow_done, bit_done,
             has_blocking_errors, blocker_count, readiness_tier
        FROM shq.vw_promotion_readiness WHERE company_unique_id LIKE 'PR-%' ORDER BY 1$$,
    $$VALUES ('PR-A'::text, true, true, true, true, true, false, false, 1, 0),
             ('PR-B', false, false, false, false, false, false, true, 13, 0)$$,
    'vw_promotion_readiness: DONE states, blocking errors, blocker count, tier');
SELECT is((SELECT count(*) FROM shq.vw_promotion_readiness r
            WHERE r.blocker_count <> (SELECT count(*) FROM shq.fn_get_promotion_blockers(r.outreach_id))), 0::bigint,
          'blocker_count = the rows of fn_get_promotion_blockers');
SELECT is((SELECT count(*) FROM shq.vw_promotion_readiness r JOIN outreach.vw_marketing_eligibility e USING (outreach_id)
            WHERE r.readiness_tier <> e.computed_tier), 0::bigint, 'readiness_tier = computed_tier');
SELECT results_eq($$SELECT readiness_tier, companies FROM shq.vw_promotion_readiness_summary ORDER BY 1$$,
                  $$SELECT readiness_tier, count(*) FROM shq.vw_promotion_readiness GROUP BY 1 ORDER BY 1$$,
                  'the summary counts companies per readiness_tier');
SELECT columns_are('shq', 'vw_promotion_readiness',
    ARRAY['outreach_id', 'company_unique_id', 'company_target_done', 'dol_done', 'people_done', 'blog_done',
          'talent_flow_done', 'bit_done', 'has_blocking_errors', 'blocker_count', 'readiness_tier'],
    'vw_promotion_readiness columns');
SELECT columns_are('shq', 'vw_promotion_readiness_summary', ARRAY['readiness_tier', 'companies'], 'summary columns');
-- every governed table is read by the blocking-error view (a sixth table must be added there)
SELECT is((SELECT count(*) FROM shq.governed_error_tables g
            WHERE strpos(pg_get_viewdef('shq._blocking_errors'::regclass), g.table_name) = 0
              AND strpos(pg_get_viewdef('shq._blocking_errors'::regclass), split_part(g.table_name, '.', 2)) = 0),
          0::bigint, 'shq._blocking_errors reads every table of shq.governed_error_tables');

-- ---------------------------------------------------------------- roles
SELECT function_privs_are('shq', 'fn_can_promote_to_hub', ARRAY['uuid', 'text'], 'outreach_governor', ARRAY['EXECUTE'],
                          'governor may check promotion');
SELECT function_privs_are('shq', 'fn_get_promotion_blockers', ARRAY['uuid'], 'outreach_reader', ARRAY[]::text[],
                          'reader may not call the blockers function');
SELECT isnt_definer('shq', 'fn_check_dol_done', ARRAY['uuid'], 'DONE checkers run as the caller');
SET LOCAL ROLE outreach_governor;
SELECT is(shq.fn_check_dol_done(pg_temp.oid('PR-A')), true, 'governor runs a DONE checker');
SELECT is(shq.fn_is_tier1_marketing_ready(pg_temp.oid('PR-A')), false, 'governor runs a tier function');
SELECT lives_ok($$SELECT * FROM shq.vw_promotion_readiness$$, 'governor reads vw_promotion_readiness');
RESET ROLE;
SELECT pg_temp.oid('PR-A') AS pr_a \gset
SET LOCAL ROLE outreach_reader;
SELECT throws_ok(format($$SELECT shq.fn_check_dol_done(%L)$$, :'pr_a'), '42501', NULL, 'reader may not run checkers');
SELECT lives_ok($$SELECT * FROM shq.vw_promotion_readiness_summary$$, 'reader reads the summary view');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
