-- Campaign orchestration: outreach.fn_plan_campaign_sends plans who
-- a campaign contacts next: each eligibility exclusion, channel blocks, BIT
-- ordering, the limit, bad campaigns, bad arguments, roles, and that it writes
-- nothing. Results are filtered to this file's companies (PLN-*) so the file
-- also holds on a database with other data.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(46);
\ir fixtures/company.sql

-- ---------------------------------------------------------------- helpers
-- a BIT score of exactly p_points (one undecayed signal now)
CREATE FUNCTION pg_temp.mk_score(p_cid text, p_points numeric) RETURNS void LANGUAGE plpgsql AS $f$
BEGIN
    PERFORM outreach.fn_add_bit_signal(p_cid, 'DOL_RENEWAL_PROXIMITY', now(), 'pgtap-score', p_points);
    PERFORM outreach.fn_refresh_bit_scores(ARRAY[(SELECT o.outreach_id FROM outreach.outreach o
                                                   WHERE o.company_unique_id = p_cid)], now());
END $f$;
-- the plan of a campaign, this file's companies only, in plan order
CREATE FUNCTION pg_temp.planned(p_campaign text, p_limit int DEFAULT 100000, p_as_of timestamptz DEFAULT now())
RETURNS text[] LANGUAGE sql AS $f$
    SELECT coalesce(array_agg(p.company_unique_id ORDER BY p.n), '{}')
      FROM outreach.fn_plan_campaign_sends(p_campaign, p_limit, p_as_of) WITH ORDINALITY
           AS p(company_unique_id, outreach_id, target_id, sequence_id, step_number, bit_score, effective_tier, n)
     WHERE p.company_unique_id LIKE 'PLN-%';
$f$;

-- ---------------------------------------------------------------- data
SELECT pg_temp.mk_company(c) FROM unnest(ARRAY['PLN-OK1', 'PLN-OK2', 'PLN-OK3', 'PLN-OK4', 'PLN-ACT', 'PLN-CAP',
    'PLN-BE', 'PLN-BP', 'PLN-BO', 'PLN-OPT', 'PLN-PAU', 'PLN-EXH']) AS c;
SELECT pg_temp.mk_company('PLN-T0', 0);
SELECT pg_temp.mk_company('PLN-INEL', 1, 'INELIGIBLE');
SELECT pg_temp.mk_score('PLN-OK1', 40), pg_temp.mk_score('PLN-OK2', 80), pg_temp.mk_score('PLN-OK4', 40),
       pg_temp.mk_score('PLN-BP', 10), pg_temp.mk_score('PLN-INEL', 99), pg_temp.mk_score('PLN-BO', 95);
SELECT outreach.set_marketing_override('PLN-CAP', 'FORCE_TIER', 'pgtap', 'pgtap', 0);
SELECT outreach.set_marketing_override('PLN-BE', 'BLOCK_EMAIL', 'pgtap', 'pgtap');
SELECT outreach.set_marketing_override('PLN-BP', 'BLOCK_PHONE', 'pgtap', 'pgtap');
SELECT outreach.set_marketing_override('PLN-BO', 'BLOCK_OUTREACH', 'pgtap', 'pgtap');
SELECT outreach.fn_set_outreach_status(t.target_id, s, 'pgtap')
  FROM (VALUES ('PLN-ACT', 'active'), ('PLN-OPT', 'opted_out'), ('PLN-PAU', 'paused'), ('PLN-EXH', 'exhausted')) AS v(c, s)
  JOIN outreach.company_target t ON t.company_unique_id = v.c;

SELECT outreach.fn_create_campaign('PLN-EMAIL', 'email', 'EMAIL', '[{"template_id": "e1"}, {"delay_days": 2}]', 1, 'active');
SELECT outreach.fn_create_campaign('PLN-PHONE', 'phone', 'PHONE', '[{"template_id": "p1"}]', 1, 'active');
SELECT outreach.fn_create_campaign('PLN-ZERO', 'tier 0', 'EMAIL', '[{"template_id": "z1"}]', 0, 'active');
SELECT outreach.fn_create_campaign('PLN-DRAFT', 'draft', 'EMAIL', '[{}]', 1, 'draft');
SELECT outreach.fn_create_campaign('PLN-PAUSED', 'paused', 'EMAIL', '[{}]', 1, 'paused');
SELECT outreach.fn_create_campaign('PLN-DONE', 'completed', 'EMAIL', '[{}]', 1, 'completed');
INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status)
VALUES ('PLN-NOSTEPS', 'no steps', 'EMAIL', 1, 'active');

-- ---------------------------------------------------------------- shape and roles
SELECT has_function('outreach', 'fn_plan_campaign_sends', ARRAY['text', 'integer', 'timestamp with time zone'],
                    'fn_plan_campaign_sends(text, integer, timestamptz) exists');
SELECT volatility_is('outreach', 'fn_plan_campaign_sends', ARRAY['text', 'integer', 'timestamp with time zone'],
                     'stable', 'fn_plan_campaign_sends is STABLE');
SELECT isnt_definer('outreach', 'fn_plan_campaign_sends', ARRAY['text', 'integer', 'timestamp with time zone'],
                    'fn_plan_campaign_sends runs with the caller''s rights');
SELECT function_returns('outreach', 'fn_plan_campaign_sends', ARRAY['text', 'integer', 'timestamp with time zone'],
                        'setof record', 'it returns a table');
SELECT is(pg_get_function_result('outreach.fn_plan_campaign_sends(text, integer, timestamptz)'::regprocedure),
          'TABLE(company_unique_id text, outreach_id uuid, target_id text, sequence_id bigint, step_number integer, '
          'bit_score numeric, effective_tier integer)',
          'the result columns are the contract''s, sequence_id typed as outreach.sequences.sequence_id (bigint)');
SELECT function_privs_are('outreach', 'fn_plan_campaign_sends', ARRAY['text', 'integer', 'timestamp with time zone'],
                          role, ARRAY['EXECUTE'], role || ' may plan')
  FROM unnest(ARRAY['outreach_sender', 'outreach_governor']) AS role;
SELECT function_privs_are('outreach', 'fn_plan_campaign_sends', ARRAY['text', 'integer', 'timestamp with time zone'],
                          role, ARRAY[]::text[], role || ' may not plan')
  FROM unnest(ARRAY['outreach_reader', 'outreach_override_admin', 'public']) AS role;

-- ---------------------------------------------------------------- the plan
SELECT is(pg_temp.planned('PLN-EMAIL'), ARRAY['PLN-OK2', 'PLN-OK1', 'PLN-OK4', 'PLN-BP', 'PLN-ACT', 'PLN-OK3'],
          'EMAIL, min_tier 1: BIT score DESC (80, 40, 40, 10), ties and NULL scores by company id, NULLs last');
SELECT results_eq(
    $$SELECT p.target_id, p.outreach_id, p.step_number, p.sequence_id, p.bit_score, p.effective_tier
        FROM outreach.fn_plan_campaign_sends('PLN-EMAIL') p WHERE p.company_unique_id = 'PLN-OK2'$$,
    $$SELECT t.target_id, t.outreach_id, 1, s.sequence_id, 80::numeric, 1
        FROM outreach.company_target t, outreach.sequences s
       WHERE t.company_unique_id = 'PLN-OK2' AND s.campaign_id = 'PLN-EMAIL' AND s.step_number = 1$$,
    'a planned row carries the target, step 1 of the campaign (never sent), the BIT score and the effective tier');
SELECT ok(NOT ('PLN-T0' = ANY (pg_temp.planned('PLN-EMAIL'))), 'excluded: computed tier 0 below min_tier 1');
SELECT ok(NOT ('PLN-CAP' = ANY (pg_temp.planned('PLN-EMAIL'))), 'excluded: FORCE_TIER cap 0 lowers effective_tier below min_tier 1');
SELECT ok(NOT ('PLN-BE' = ANY (pg_temp.planned('PLN-EMAIL'))), 'excluded from EMAIL: BLOCK_EMAIL');
SELECT ok(NOT ('PLN-BO' = ANY (pg_temp.planned('PLN-EMAIL'))), 'excluded from EMAIL: BLOCK_OUTREACH (score 95 notwithstanding)');
SELECT ok(NOT ('PLN-OPT' = ANY (pg_temp.planned('PLN-EMAIL'))), 'excluded: opted_out');
SELECT ok(NOT ('PLN-PAU' = ANY (pg_temp.planned('PLN-EMAIL'))), 'excluded: paused');
SELECT ok(NOT ('PLN-EXH' = ANY (pg_temp.planned('PLN-EMAIL'))), 'excluded: exhausted');
SELECT ok(NOT ('PLN-INEL' = ANY (pg_temp.planned('PLN-EMAIL'))), 'excluded: CL INELIGIBLE (score 99 notwithstanding)');
SELECT ok('PLN-ACT' = ANY (pg_temp.planned('PLN-EMAIL')), 'included: an active target');
SELECT ok('PLN-BP' = ANY (pg_temp.planned('PLN-EMAIL')), 'included in EMAIL: BLOCK_PHONE blocks the other channel only');

SELECT is(pg_temp.planned('PLN-PHONE'), ARRAY['PLN-OK2', 'PLN-OK1', 'PLN-OK4', 'PLN-ACT', 'PLN-BE', 'PLN-OK3'],
          'PHONE: BLOCK_PHONE and BLOCK_OUTREACH excluded, BLOCK_EMAIL included');
SELECT is(pg_temp.planned('PLN-ZERO'),
          ARRAY['PLN-OK2', 'PLN-OK1', 'PLN-OK4', 'PLN-BP', 'PLN-ACT', 'PLN-CAP', 'PLN-OK3', 'PLN-T0'],
          'min_tier 0: tier-0 companies (computed or capped) join; INELIGIBLE (tier -1) never does');

-- every planned send passes the gate now (dry runs, rolled back with the file)
SELECT is((SELECT count(*) FROM outreach.fn_plan_campaign_sends(c) p,
                  LATERAL outreach.fn_safety_gate_check(p.company_unique_id, c, 'pgtap-plan',
                      (SELECT cc.channel FROM outreach.campaigns cc WHERE cc.campaign_id = c), true) g
            WHERE p.company_unique_id LIKE 'PLN-%' AND NOT g.is_eligible), 0::bigint,
          'the gate clears every planned send of ' || c)
  FROM unnest(ARRAY['PLN-EMAIL', 'PLN-PHONE', 'PLN-ZERO']) AS c;

-- ---------------------------------------------------------------- the limit
SELECT is((SELECT count(*) FROM outreach.fn_plan_campaign_sends('PLN-EMAIL', 3)), 3::bigint, 'p_limit 3 gives 3 rows');
SELECT results_eq(
    $$SELECT company_unique_id FROM outreach.fn_plan_campaign_sends('PLN-EMAIL', 3)$$,
    $$SELECT company_unique_id FROM outreach.fn_plan_campaign_sends('PLN-EMAIL', 100000) LIMIT 3$$,
    'the limited plan is the head of the full plan');
SELECT is((SELECT count(*) FROM outreach.fn_plan_campaign_sends('PLN-EMAIL', 1)), 1::bigint, 'p_limit 1 is allowed');
SELECT throws_ok($$SELECT * FROM outreach.fn_plan_campaign_sends('PLN-EMAIL', 0)$$, '22023', NULL, 'p_limit 0 is 22023');
SELECT throws_ok($$SELECT * FROM outreach.fn_plan_campaign_sends('PLN-EMAIL', -5)$$, '22023', NULL, 'p_limit -5 is 22023');
SELECT throws_ok($$SELECT * FROM outreach.fn_plan_campaign_sends('PLN-EMAIL', NULL)$$, '22023', NULL, 'p_limit NULL is 22023');
SELECT throws_ok($$SELECT * FROM outreach.fn_plan_campaign_sends('PLN-EMAIL', 10, NULL)$$, '22023', NULL, 'p_as_of NULL is 22023');

-- ---------------------------------------------------------------- campaigns that plan nothing
-- (each also raises a NOTICE saying why: asserted in tests/test_campaign_cli.py)
SET LOCAL client_min_messages = warning;
SELECT is_empty(format('SELECT * FROM outreach.fn_plan_campaign_sends(%L)', c), why)
  FROM (VALUES ('PLN-NO-SUCH', 'an unknown campaign plans nothing'),
               ('PLN-DRAFT', 'a draft campaign plans nothing'),
               ('PLN-PAUSED', 'a paused campaign plans nothing'),
               ('PLN-DONE', 'a completed campaign plans nothing'),
               ('PLN-NOSTEPS', 'a campaign without steps plans nothing'),
               ('', 'a blank campaign id plans nothing')) AS v(c, why);
SELECT is_empty($$SELECT * FROM outreach.fn_plan_campaign_sends(NULL)$$, 'a NULL campaign id plans nothing');
RESET client_min_messages;

-- ---------------------------------------------------------------- writes nothing; roles
CREATE TEMP TABLE counts_before AS
SELECT (SELECT count(*) FROM outreach.send_attempt_audit) AS audits, (SELECT count(*) FROM outreach.send_log) AS sends,
       (SELECT string_agg(t.target_id || t.outreach_status || t.updated_at, ',' ORDER BY t.target_id)
          FROM outreach.company_target t) AS targets;
SELECT lives_ok($$SELECT * FROM outreach.fn_plan_campaign_sends('PLN-EMAIL', 100000, now() + interval '30 days')$$,
                'planning runs');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM outreach.send_attempt_audit), (SELECT count(*) FROM outreach.send_log),
             (SELECT string_agg(t.target_id || t.outreach_status || t.updated_at, ',' ORDER BY t.target_id)
                FROM outreach.company_target t)$$,
    $$SELECT audits, sends, targets FROM counts_before$$,
    'planning wrote no audit row, no send, no target change');

SET LOCAL ROLE outreach_sender;
SELECT is(pg_temp.planned('PLN-EMAIL'), ARRAY['PLN-OK2', 'PLN-OK1', 'PLN-OK4', 'PLN-BP', 'PLN-ACT', 'PLN-OK3'],
          'outreach_sender plans the same');
RESET ROLE;
SET LOCAL ROLE outreach_governor;
SELECT is(cardinality(pg_temp.planned('PLN-EMAIL')), 6, 'outreach_governor plans too');
RESET ROLE;
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT * FROM outreach.fn_plan_campaign_sends('PLN-EMAIL')$$, '42501', NULL,
                 'outreach_reader may not plan (42501)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
