-- One home per rule: the BIT decay, the score tiers, the escalation thresholds and the digest
-- settings each have one definition, the hot-path ones inline into their callers' plans.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(66);

-- EXPLAIN VERBOSE of a query: an inlined function leaves no call of itself in the plan
CREATE FUNCTION pg_temp.plan_of(p_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_line text;
    v_plan text := '';
BEGIN
    FOR v_line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || p_query LOOP
        v_plan := v_plan || v_line || E'\n';
    END LOOP;
    RETURN v_plan;
END
$$;
-- the project functions whose source matches a pattern
CREATE FUNCTION pg_temp.sources_matching(p_pattern text) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace::regnamespace::text IN ('cl', 'outreach', 'people', 'company', 'shq')
       AND p.prosrc ~ p_pattern
     ORDER BY 1;
$$;

-- ---------------------------------------------------------------- each rule has one home
SELECT set_eq($$SELECT * FROM pg_temp.sources_matching('power\(0\.5')$$,
              ARRAY['outreach._bit_decay_factor(double precision,double precision,double precision)'],
              'the decay 0.5 ^ (age / half-life) is written once: outreach._bit_decay_factor');
SELECT set_eq($$SELECT * FROM pg_temp.sources_matching('86400 OPERATOR')$$,
              ARRAY['outreach._bit_seconds_per_half_life(numeric)'],
              'seconds per half-life are computed once: outreach._bit_seconds_per_half_life');
SELECT set_eq($$SELECT * FROM pg_temp.sources_matching('0\.000000001')$$,
              ARRAY['outreach._bit_points(numeric)'], '1e-9 points back to points once: outreach._bit_points');
SELECT set_eq($$SELECT * FROM pg_temp.sources_matching('''BURNING''') INTERSECT SELECT * FROM pg_temp.sources_matching('75')$$,
              ARRAY['outreach.fn_score_tier(numeric)'], 'the tier cut-offs are written once: outreach.fn_score_tier');
SELECT set_eq($$SELECT * FROM pg_temp.sources_matching('72 hours|7 days''')
                EXCEPT SELECT * FROM pg_temp.sources_matching('_governance_job|TTL|ttl')$$,
              ARRAY['shq.fn_escalation_threshold(integer)'],
              'the escalation thresholds are written once: shq.fn_escalation_threshold');
SELECT set_eq($$SELECT * FROM pg_temp.sources_matching('extra_float_digits|bytea_output|IntervalStyle')$$,
              ARRAY['shq._audit_digest_settings(text[])'],
              'the digest settings are written once: shq._audit_digest_settings');
SELECT is_empty($$SELECT * FROM pg_temp.sources_matching('NULLIF\([^)]*\), *''[a-z_]+\.[a-z_]+''')$$,
                'a writer that adds a table to the sanction it found does it through shq.fn_sanction_add, not by hand');
SELECT set_eq($$SELECT * FROM pg_temp.sources_matching('RETRY''?, ?''?PARKED')
                UNION ALL
                SELECT v.schemaname || '.' || v.viewname FROM pg_views v
                 WHERE v.schemaname IN ('outreach', 'shq') AND v.definition ~ 'RETRY''?, ?''?PARKED'$$,
              ARRAY['shq.fn_is_blocking(shq.error_disposition)'],
              'which dispositions block is written once: shq.fn_is_blocking (the views call it)');
SELECT is_empty($$SELECT p.oid::regprocedure FROM pg_proc p, unnest(p.proconfig) c
                   WHERE p.pronamespace = 'shq'::regnamespace AND p.proname ~ 'audit'
                     AND c ~* '^(timezone|intervalstyle|datestyle|extra_float_digits|bytea_output)='$$,
                'no sealing function pins a digest setting of its own');

-- ---------------------------------------------------------------- the hot-path rules are inlined
CREATE TEMP TABLE scores (score numeric, parked_at timestamptz, units numeric);
SELECT unalike(pg_temp.plan_of($$
    SELECT outreach._bit_units(s.points_nano, outreach._bit_decay_factor(1e9::float8, s.occurred_epoch,
                                                   outreach._bit_seconds_per_half_life(t.half_life_days)))
      FROM outreach.bit_signals s JOIN outreach.bit_signal_types t ON t.signal_type = s.signal_type$$),
              '%\_bit\_%', 'the contribution of a signal is inlined: no call of a BIT function per signal');
SELECT alike(pg_temp.plan_of($$
    SELECT outreach._bit_units(s.points_nano, outreach._bit_decay_factor(1e9::float8, s.occurred_epoch, 86400::float8))
      FROM outreach.bit_signals s$$),
            '%power(''0.5''::double precision%', '... it is the arithmetic itself');
SELECT unalike(pg_temp.plan_of($$SELECT * FROM outreach._bit_totals(ARRAY['00000000-0000-0000-0000-000000000000'::uuid], now())$$),
              '%Function Scan%', 'the totals of a list of companies are inlined: a scan of the signals, no function call');
SELECT unalike(pg_temp.plan_of($$SELECT outreach._bit_score(sum(units)) FROM scores$$), '%\_bit\_%',
              'the score of a sum is inlined around the aggregate');
SELECT unalike(pg_temp.plan_of($$SELECT outreach.fn_score_tier(score) FROM scores$$), '%fn\_score\_tier%',
              'fn_score_tier is inlined');
SELECT alike(pg_temp.plan_of($$SELECT outreach.fn_score_tier(0.00)$$), '%''COLD''::text%',
            '... and folded to a constant for a constant score');
SELECT unalike(pg_temp.plan_of($$SELECT shq.fn_is_blank(score::text) FROM scores$$), '%fn\_is\_blank%',
              'fn_is_blank is inlined: every validation costs the test itself');
SELECT alike(pg_temp.plan_of($$SELECT shq.fn_is_blank(score::text) FROM scores$$), '%!~%',
            '... the pattern test of its one definition');
SELECT alike(pg_temp.plan_of($$SELECT shq.fn_sanction_add('outreach.company_eligibility')$$),
             '%Output: "left"(set_config(%',
             'fn_sanction_add is inlined: every maintained write pays the set_config itself, no function call');
SELECT unalike(pg_temp.plan_of($$SELECT shq.fn_escalation_level_due(parked_at, now()) FROM scores$$),
              '%fn\_escalation%', 'fn_escalation_level_due is inlined');
SELECT alike(pg_temp.plan_of($$SELECT * FROM scores WHERE parked_at <= now() - shq.fn_escalation_threshold(1)$$),
            '%(now() - ''24:00:00''::interval)%', 'a threshold folds to a constant (the parked_at index can serve it)');
-- (whether an index is cheaper depends on the data; with sequential scans off, a
-- partial index is chosen only if the query's predicate implies the index's)
SET LOCAL enable_seqscan = off;
SELECT alike(pg_temp.plan_of($$SELECT * FROM shq.vw_blocking_errors_by_outreach
                                 WHERE outreach_id = '00000000-0000-0000-0000-000000000000'$$),
            '%dol\_errors\_blocking\_idx%',
            'fn_is_blocking is inlined into the views: the partial blocking indexes can serve them');
RESET enable_seqscan;
SELECT unalike(pg_temp.plan_of($$SELECT * FROM outreach._hub_rollup$$), '%\_hub\_status\_counts%',
              'what a hub row counts as is inlined into the rollup: no call per hub row');
SELECT alike(pg_temp.plan_of(format('SELECT %s FROM outreach.bit_signals s', outreach._bit_divisor_sql())),
            '%7776000%', 'the refresh''s half-life CASE folds every known type to its constant');

-- ---------------------------------------------------------------- the outreach_id's layout
SELECT unalike(pg_temp.plan_of($$INSERT INTO outreach.outreach (company_unique_id) VALUES ('OHR-V7-PLAN')$$),
               '%\_uuid\_v7%', 'the spine''s default shq._uuid_v7 is inlined: a mint costs the expression, not a call');

-- ---------------------------------------------------------------- the BIT arithmetic
SELECT is(outreach._bit_decay_factor(86400 * 10, 0, outreach._bit_seconds_per_half_life(10)), 0.5::float8,
          'one half-life: factor 0.5');
SELECT is(outreach._bit_decay_factor(1e12, 0, outreach._bit_seconds_per_half_life(NULL)), 1::float8,
          'no half-life: factor 1, whatever the age');
SELECT is(outreach._bit_decay_factor(1e12, 0, 1), power(0.5::float8, 64), 'past 64 half-lives the factor stays at 0.5^64');
SELECT is(outreach._bit_units(40000000000, 0.5), 20000000000::bigint, '40 points at 0.5: 20e9 units');
SELECT is(outreach._bit_score(NULL), 0.00, 'no signal scores 0');
SELECT is(outreach._bit_score(74994999999), 74.99, '74.994999999 points round to 74.99');
SELECT is(outreach._bit_score(150000000000), 100::numeric, 'the score is capped at 100');
SELECT ok(has_function_privilege(r, f, 'EXECUTE'), format('%s may execute %s (invoker BIT functions call it)', r, f))
  FROM unnest(ARRAY['outreach_hub_writer', 'outreach_governor']) AS r,
       unnest(ARRAY['outreach._bit_decay_factor(double precision,double precision,double precision)',
                     'outreach._bit_seconds_per_half_life(numeric)', 'outreach._bit_units(bigint,double precision)',
                     'outreach._bit_points(numeric)', 'outreach._bit_score(numeric)',
                     'outreach._bit_totals(uuid[],timestamp with time zone)']) AS f;

-- ---------------------------------------------------------------- escalation
SELECT results_eq($$SELECT shq.fn_escalation_level_due(t0 - x.parked_for, t0)
                      FROM (VALUES (interval '0'), (interval '24 hours' - interval '1 microsecond'), (interval '24 hours'),
                                   (interval '72 hours' - interval '1 microsecond'), (interval '72 hours'),
                                   (interval '7 days' - interval '1 microsecond'), (interval '7 days'),
                                   (interval '400 days')) AS x(parked_for),
                           (SELECT '2025-06-01 12:00:00+00'::timestamptz AS t0) AS t$$,
                  $$VALUES (0), (0), (1), (1), (2), (2), (3), (3)$$,
                  'levels 1, 2, 3 from exactly 24 hours, 72 hours, 7 days parked');
SELECT is(shq.fn_escalation_level_due(NULL), 0, 'not parked: level 0');

-- ---------------------------------------------------------------- the digest settings
SET LOCAL TimeZone = 'America/New_York';
SET LOCAL extra_float_digits = 0;
CREATE TEMP TABLE kept AS SELECT shq._audit_digest_settings() AS previous;
SELECT results_eq($$SELECT current_setting('TimeZone'), current_setting('IntervalStyle'), current_setting('DateStyle'),
                           current_setting('extra_float_digits'), current_setting('bytea_output')$$,
                  $$VALUES ('UTC', 'postgres', 'ISO, MDY', '1', 'hex')$$, 'the digest settings are in effect');
SELECT is(shq._audit_digest_settings((SELECT previous FROM kept)), (SELECT previous FROM kept), 'put back ...');
SELECT results_eq($$SELECT current_setting('TimeZone'), current_setting('extra_float_digits')$$,
                  $$VALUES ('America/New_York', '0')$$, '... the session''s own values are back');
SELECT throws_ok($$SELECT shq._audit_digest_settings('{UTC}')$$, '22023', NULL, 'a wrong array is refused');
-- golden values: digests made before the settings moved here, under a session TimeZone other than UTC
SELECT results_eq(
    $$SELECT encode(shq._audit_seal_digest('shq.audit_log', 'audit_id', 1, 42, 40, ARRAY['audit_id', 'occurred_at'],
                                           sha256('x'), sha256('p'), t::timestamptz), 'hex')
        FROM unnest(ARRAY['2025-01-31 09:00:00.123456+00', '2024-07-01 23:59:59+02', '2025-03-09 07:30:00.5+00',
                          '1999-12-31 23:59:59.999999-08']) WITH ORDINALITY AS x(t, n) ORDER BY n$$,
    $$VALUES ('c6c40dea1a45166435ac97168ed3cd360a3a74687c0c4471fe358d1547b6e79c'),
             ('d786c01d37dc67be4b64ac1bfd7f1d35b7fddef76ffab100323b1f5abe5dd295'),
             ('940799c086a41a75bc1275f812d4ba446d46efbc1e63c0947a6a519fd1dc84bd'),
             ('537eb3bbf357957226e3153f65bba0411e1b2c99bc3ce8e74d8c98ace3b2858d')$$,
    'a seal''s chain digest is the same as ever, whatever the session TimeZone');
SELECT is(encode(shq._audit_seal_digest('shq.audit_log', 'audit_id', 1, 42, 40, ARRAY['audit_id'], sha256('x'), NULL,
                                        '2025-01-31 09:00:00+00'), 'hex'),
          'b8b41e8b101dc2665a2ce7cf6305f2ffa318d8a01b744c89e8db3d28b85eede1', '... the first seal of a chain too');

-- every gate check takes the kill-switch lock: the lock call itself, no function call
SELECT alike(pg_temp.plan_of($$SELECT outreach._kill_switch_lock('X-1')$$),
             '%Output: pg_advisory_xact_lock_shared(1330053125, %', 'the shared kill-switch lock is inlined');
SELECT alike(pg_temp.plan_of($$SELECT outreach._kill_switch_lock('X-1', p_exclusive => true)$$),
             '%Output: pg_advisory_xact_lock(1330053125, %', 'the exclusive kill-switch lock is inlined');

-- the tier rule's hub counts: constants written from the registry, folded into the plan
SELECT unalike(pg_temp.plan_of($$SELECT computed_tier, tier_reason FROM outreach.vw_marketing_eligibility
                                 WHERE company_unique_id = 'X-1'$$),
               '%hub_registry%', 'a read of the tier rule scans no hub registry: its counts are constants');
SELECT results_eq($$SELECT outreach._hub_required_total(), outreach._hub_optional_total()$$,
                  $$SELECT count(*) FILTER (WHERE is_required), count(*) FILTER (WHERE NOT is_required)
                      FROM outreach.hub_registry$$,
                  'the constants are the registry''s counts of required and optional hubs');
-- a registry write (a migration's, as the owner with the sanction) rewrites them in its transaction
SET LOCAL ROLE outreach_owner;
SELECT shq.fn_sanction('outreach.hub_registry');
UPDATE outreach.hub_registry SET is_required = NOT is_required
 WHERE hub_id = (SELECT hr.hub_id FROM outreach.hub_registry hr WHERE hr.is_required ORDER BY hr.display_order DESC LIMIT 1);
SELECT shq.fn_sanction('');
RESET ROLE;
SELECT results_eq($$SELECT outreach._hub_required_total(), outreach._hub_optional_total()$$,
                  $$SELECT count(*) FILTER (WHERE is_required), count(*) FILTER (WHERE NOT is_required)
                      FROM outreach.hub_registry$$,
                  'a registry write rewrites the constants in the same transaction');
SELECT is((SELECT required_total FROM outreach._hub_totals),
          (SELECT count(*) FROM outreach.hub_registry WHERE is_required),
          '... and the registry view reads them');
SELECT is((SELECT count(*) FROM outreach.company_eligibility e
            WHERE e.computed_tier IS DISTINCT FROM
                  outreach._eligibility_tier(e.eligibility_status, e.required_failed, e.required_passed,
                                             e.optional_passed, e.has_campaign_ready_person)),
          0::bigint, '... and the stored tiers of the maintained rows, by the rule over the new counts');
-- the stored tier: the gate's lookup applies no rule, and the rule is inlined where it is applied
SELECT unalike(pg_temp.plan_of($$SELECT computed_tier, effective_tier FROM outreach.vw_marketing_eligibility_with_overrides
                                 WHERE company_unique_id = 'X-1'$$),
               '%ELIGIBLE%', 'a read of the tier applies no rule: the row stores it');
SELECT unalike(pg_temp.plan_of($$SELECT s.computed_tier, t.tier_reason FROM outreach._company_eligibility_from_scratch s
                                   JOIN outreach._company_eligibility_tier t USING (company_unique_id)
                                 WHERE company_unique_id = 'X-1'$$),
               '%\_eligibility\_tier%', 'the tier rule is inlined into the from-scratch row and the reason');

-- who may execute the constants: exactly the eligibility views' readers, read from the views' grants
SELECT set_eq($$SELECT a.grantee::regrole::text FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a
                 WHERE p.oid = 'outreach._hub_required_total()'::regprocedure AND a.grantee <> p.proowner$$,
              $$SELECT a.grantee::regrole::text FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
                 WHERE c.oid IN ('outreach.vw_marketing_eligibility'::regclass,
                                 'outreach.vw_marketing_eligibility_with_overrides'::regclass)
                   AND a.privilege_type = 'SELECT' AND a.grantee <> c.relowner$$,
              'the constants are executable by exactly the roles that read the eligibility views');
SET LOCAL ROLE outreach_reader;
SELECT lives_ok($$SELECT count(*) FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'X-1'$$,
                'a reader of the views plans and reads them');
RESET ROLE;
SET LOCAL ROLE outreach_monitor;
SELECT throws_ok($$SELECT outreach._hub_required_total()$$, '42501', NULL,
                 'a role that may not read the views may not execute the constants');
RESET ROLE;
-- a new reader of a view gets EXECUTE when the constants are written again, and loses it with its SELECT
CREATE ROLE hub_totals_probe NOLOGIN;
SET LOCAL ROLE outreach_owner;
GRANT SELECT ON outreach.vw_marketing_eligibility TO hub_totals_probe;
SELECT outreach._write_hub_totals();
SELECT ok(has_function_privilege('hub_totals_probe', 'outreach._hub_optional_total()', 'EXECUTE'),
          'a role granted SELECT on a view may execute the constants once they are written again');
REVOKE SELECT ON outreach.vw_marketing_eligibility FROM hub_totals_probe;
SELECT outreach._write_hub_totals();
SELECT ok(NOT has_function_privilege('hub_totals_probe', 'outreach._hub_required_total()', 'EXECUTE'),
          '... and may not once its SELECT is revoked');
RESET ROLE;
SELECT ok(NOT has_function_privilege('public', 'outreach._hub_required_total()', 'EXECUTE'),
          'PUBLIC may not execute the constants');

SELECT * FROM finish();
ROLLBACK;
