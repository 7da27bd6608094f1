-- Campaign orchestration: outreach.fn_create_campaign creates a
-- campaign and its ordered steps in one go; every bad input is refused with
-- its SQLSTATE and leaves nothing behind; only the governor may call it.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(46);

-- ---------------------------------------------------------------- shape
SELECT has_function('outreach', 'fn_create_campaign', ARRAY['text', 'text', 'text', 'jsonb', 'integer', 'text'],
                    'fn_create_campaign(text, text, text, jsonb, integer, text) exists');
SELECT is_definer('outreach', 'fn_create_campaign', ARRAY['text', 'text', 'text', 'jsonb', 'integer', 'text'],
                  'fn_create_campaign is SECURITY DEFINER');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig)
             FROM pg_proc p WHERE p.oid = 'outreach.fn_create_campaign(text, text, text, jsonb, integer, text)'::regprocedure),
          'fn_create_campaign pins its search_path');
SELECT function_privs_are('outreach', 'fn_create_campaign', ARRAY['text', 'text', 'text', 'jsonb', 'integer', 'text'],
                          'outreach_governor', ARRAY['EXECUTE'], 'the governor may create campaigns');
SELECT function_privs_are('outreach', 'fn_create_campaign', ARRAY['text', 'text', 'text', 'jsonb', 'integer', 'text'],
                          role, ARRAY[]::text[], role || ' may not create campaigns')
  FROM unnest(ARRAY['outreach_sender', 'outreach_reader', 'outreach_hub_writer', 'outreach_override_admin', 'public']) AS role;

-- ---------------------------------------------------------------- the happy path
SELECT is(outreach.fn_create_campaign('PGT-CMP-1', 'Renewals', 'EMAIL',
              '[{"template_id": "intro"}, {"template_id": "nudge", "delay_days": 3}, {"delay_days": 7}]', 2, 'active'),
          'PGT-CMP-1', 'fn_create_campaign returns the campaign id');
SELECT results_eq(
    $$SELECT name, channel, min_tier, status FROM outreach.campaigns WHERE campaign_id = 'PGT-CMP-1'$$,
    $$VALUES ('Renewals'::text, 'EMAIL'::text, 2, 'active'::text)$$,
    'the campaign row holds what was asked');
SELECT results_eq(
    $$SELECT step_number, template_id, delay_days FROM outreach.sequences WHERE campaign_id = 'PGT-CMP-1' ORDER BY step_number$$,
    $$VALUES (1, 'intro'::text, 0), (2, 'nudge'::text, 3), (3, NULL::text, 7)$$,
    'steps are numbered 1..n in array order; delay_days defaults to 0, template_id to NULL');

SELECT is(outreach.fn_create_campaign('PGT-CMP-2', 'Calls', 'PHONE', '[{"template_id": "call-1"}]'), 'PGT-CMP-2',
          'min_tier and status may be left out');
SELECT results_eq($$SELECT min_tier, status FROM outreach.campaigns WHERE campaign_id = 'PGT-CMP-2'$$,
                  $$VALUES (1, 'draft'::text)$$, 'defaults: min_tier 1, status draft (the table''s defaults)');

SET LOCAL ROLE outreach_governor;
SELECT lives_ok($$SELECT outreach.fn_create_campaign('PGT-CMP-GOV', 'By the governor', 'EMAIL', '[{}]', 0, 'paused')$$,
                'outreach_governor creates a campaign');
RESET ROLE;
SELECT is((SELECT count(*) FROM outreach.sequences WHERE campaign_id = 'PGT-CMP-GOV'), 1::bigint,
          'an empty step object is a step with defaults');

-- ---------------------------------------------------------------- refusals
CREATE TEMP TABLE before_counts AS
SELECT (SELECT count(*) FROM outreach.campaigns) AS campaigns, (SELECT count(*) FROM outreach.sequences) AS steps;

SELECT throws_ok(format('SELECT outreach.fn_create_campaign(%s, %s, %s, %L::jsonb, %s, %s)', a, b, c, d, e, f),
                 code, NULL, why)
  FROM (VALUES
    ('NULL', '''n''', '''EMAIL''', '[{}]', '1', '''active''', '22023', 'NULL campaign id is 22023'),
    ('''''', '''n''', '''EMAIL''', '[{}]', '1', '''active''', '22023', 'empty campaign id is 22023'),
    ('E'' \t ''', '''n''', '''EMAIL''', '[{}]', '1', '''active''', '22023', 'whitespace campaign id is 22023'),
    (''' PGT-PAD ''', '''n''', '''EMAIL''', '[{}]', '1', '''active''', '22023', 'a padded campaign id is 22023'),
    ('''PGT-X''', 'NULL', '''EMAIL''', '[{}]', '1', '''active''', '22023', 'NULL name is 22023'),
    ('''PGT-X''', ''' ''', '''EMAIL''', '[{}]', '1', '''active''', '22023', 'blank name is 22023'),
    ('''PGT-X''', '''n''', '''SMS''', '[{}]', '1', '''active''', '22023', 'channel SMS is 22023'),
    ('''PGT-X''', '''n''', '''email''', '[{}]', '1', '''active''', '22023', 'channel is case-sensitive: email is 22023'),
    ('''PGT-X''', '''n''', 'NULL', '[{}]', '1', '''active''', '22023', 'NULL channel is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[{}]', '4', '''active''', '22023', 'min_tier 4 is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[{}]', '-1', '''active''', '22023', 'min_tier -1 is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[{}]', 'NULL', '''active''', '22023', 'NULL min_tier is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[{}]', '1', '''running''', '22023', 'status running is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[{}]', '1', 'NULL', '22023', 'NULL status is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[]', '1', '''active''', '22023', 'no steps is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '{"template_id": "a"}', '1', '''active''', '22023', 'steps not an array is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '["intro"]', '1', '''active''', '22023', 'a step that is not an object is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[{"template": "a"}]', '1', '''active''', '22023', 'an unknown step key is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[{}, {"delay_days": -1}]', '1', '''active''', '22023', 'delay_days -1 is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[{}, {"delay_days": 1.5}]', '1', '''active''', '22023', 'delay_days 1.5 is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[{}, {"delay_days": "3"}]', '1', '''active''', '22023', 'delay_days as a string is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[{}, {"delay_days": null}]', '1', '''active''', '22023', 'delay_days null is 22023'),
    ('''PGT-X''', '''n''', '''EMAIL''', '[{"template_id": 7}]', '1', '''active''', '22023', 'a numeric template_id is 22023'),
    ('''PGT-CMP-1''', '''again''', '''EMAIL''', '[{}]', '1', '''active''', '23505', 'an existing campaign id is 23505')
  ) AS t(a, b, c, d, e, f, code, why);
SELECT throws_ok($$SELECT outreach.fn_create_campaign('PGT-X', 'n', 'EMAIL', NULL)$$, '22023', NULL, 'NULL steps is 22023');

SELECT results_eq(
    $$SELECT (SELECT count(*) FROM outreach.campaigns), (SELECT count(*) FROM outreach.sequences)$$,
    $$SELECT campaigns, steps FROM before_counts$$,
    'refused calls created no campaign and no step');
SELECT results_eq($$SELECT name, min_tier FROM outreach.campaigns WHERE campaign_id = 'PGT-CMP-1'$$,
                  $$VALUES ('Renewals'::text, 2)$$, 'the existing campaign was not touched by the duplicate');

-- the roles that may not call it
SET LOCAL ROLE outreach_sender;
SELECT throws_ok($$SELECT outreach.fn_create_campaign('PGT-CMP-S', 'n', 'EMAIL', '[{}]')$$, '42501', NULL,
                 'outreach_sender cannot create campaigns (42501)');
RESET ROLE;
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT outreach.fn_create_campaign('PGT-CMP-R', 'n', 'EMAIL', '[{}]')$$, '42501', NULL,
                 'outreach_reader cannot create campaigns (42501)');
RESET ROLE;
SELECT is((SELECT count(*) FROM outreach.campaigns WHERE campaign_id IN ('PGT-CMP-S', 'PGT-CMP-R')), 0::bigint,
          'no campaign from the refused roles');

SELECT * FROM finish();
ROLLBACK;
