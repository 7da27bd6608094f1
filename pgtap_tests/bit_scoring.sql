-- BIT engine: the score formula against hand-computed values (decay,
-- no decay, sums, the cap, as_of cut-off, future as_of), fn_compute_bit_score
-- pure with one row always, fn_explain_bit_score adding up to the score.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(46);

-- test-only types with round half-lives
INSERT INTO outreach.bit_signal_types (signal_type, source_hub, weight_class, points, half_life_days) VALUES
    ('T_HL10', 'company-target', 'LOW', 40, 10),
    ('T_HL1', 'company-target', 'LOW', 40, 1),
    ('T_FLAT', 'company-target', 'LOW', 30, NULL);

\set company_prefix BITSCORE-
\ir fixtures/bit_companies.sql
CREATE FUNCTION pg_temp.sig(p_k text, p_type text, p_age interval, p_points numeric DEFAULT NULL) RETURNS bigint
LANGUAGE sql AS $$
    SELECT outreach.fn_add_bit_signal('BITSCORE-' || p_k, p_type, (SELECT t FROM t0) - p_age, NULL, p_points);
$$;
CREATE FUNCTION pg_temp.score(p_k text, p_at timestamptz DEFAULT NULL) RETURNS numeric LANGUAGE sql AS $$
    SELECT score FROM outreach.fn_compute_bit_score((SELECT oid FROM co WHERE k = p_k), coalesce(p_at, (SELECT t FROM t0)));
$$;

-- ---------------------------------------------------------------- one signal, hand-computed
SELECT pg_temp.company('h10');
SELECT pg_temp.sig('h10', 'T_HL10', interval '10 days');
SELECT is(pg_temp.score('h10'), 20.00, '40 points, one half-life old: 20');
SELECT is(pg_temp.score('h10', (SELECT t FROM t0) + interval '10 days'), 10.00, 'two half-lives: 10');
SELECT is(pg_temp.score('h10', (SELECT t FROM t0) - interval '10 days'), 40.00, 'age 0: the full 40');
SELECT is(pg_temp.score('h10', (SELECT t FROM t0) - interval '10 days 1 second'), 0::numeric,
          'as_of a second before the signal: it does not count');
SELECT results_eq($$SELECT * FROM outreach.fn_compute_bit_score((SELECT oid FROM co WHERE k = 'h10'),
                                                               (SELECT t FROM t0) - interval '11 days')$$,
                  $$VALUES (0::numeric, 'COLD'::text, 0, NULL::timestamptz)$$,
                  'no signal by as_of: one row 0, COLD, 0 signals, no last signal');
SELECT results_eq($$SELECT * FROM outreach.fn_compute_bit_score((SELECT oid FROM co WHERE k = 'h10'), (SELECT t FROM t0))$$,
                  $$VALUES (20.00::numeric, 'COLD'::text, 1, (SELECT t FROM t0) - interval '10 days')$$,
                  'score, tier, signal_count and last_signal_at');

SELECT pg_temp.company('h1');
SELECT pg_temp.sig('h1', 'T_HL1', interval '12 hours');
SELECT is(pg_temp.score('h1'), 28.28, 'half a half-life: 40 * 0.5^0.5 = 28.284.. -> 28.28');
SELECT pg_temp.company('ancient');
SELECT pg_temp.sig('ancient', 'T_HL1', interval '5000 days');
SELECT is(pg_temp.score('ancient'), 0::numeric, 'a signal 5000 half-lives old contributes 0 (and raises nothing)');

SELECT pg_temp.company('dol');
SELECT pg_temp.sig('dol', 'DOL_RENEWAL_PROXIMITY', interval '10 days');
SELECT is(pg_temp.score('dol'), 23.15, 'DOL_RENEWAL_PROXIMITY 25 points, 10 days, half-life 90: 23.1468.. -> 23.15');
SELECT pg_temp.company('news');
SELECT pg_temp.sig('news', 'NEWS_MENTION', interval '45 days');
SELECT is(pg_temp.score('news'), 1.77, 'NEWS_MENTION 5 points, 45 days, half-life 30: 1.7677.. -> 1.77');
SELECT pg_temp.company('exec');
SELECT pg_temp.sig('exec', 'EXECUTIVE_MOVEMENT', interval '100 days');
SELECT is(pg_temp.score('exec'), 6.94, 'EXECUTIVE_MOVEMENT 15 points, 100 days, half-life 90: 6.944.. -> 6.94');
SELECT pg_temp.company('flat');
SELECT pg_temp.sig('flat', 'DOMAIN_VERIFIED', interval '1000 days');
SELECT is(pg_temp.score('flat'), 10::numeric, 'DOMAIN_VERIFIED has no half-life: 10 points after 1000 days');

-- ---------------------------------------------------------------- sums, cap, as_of
SELECT pg_temp.company('mix');
SELECT pg_temp.sig('mix', 'DOMAIN_VERIFIED', interval '400 days');
SELECT pg_temp.sig('mix', 'ENGAGEMENT_REPLY', interval '90 days');
SELECT pg_temp.sig('mix', 'SLOT_FILLED', interval '360 days');
SELECT pg_temp.sig('mix', 'NEWS_MENTION', interval '-5 days');   -- after as_of: ignored
SELECT results_eq($$SELECT score, score_tier, signal_count FROM outreach.fn_compute_bit_score(
                        (SELECT oid FROM co WHERE k = 'mix'), (SELECT t FROM t0))$$,
                  $$VALUES (20.00::numeric, 'COLD'::text, 3)$$,
                  '10 + 25 * 0.5^2 + 15 * 0.5^2 = 20.00 from 3 signals; the one after as_of is ignored');
SELECT is((SELECT signal_count FROM outreach.fn_compute_bit_score((SELECT oid FROM co WHERE k = 'mix'),
                                                                  (SELECT t FROM t0) + interval '1 year')),
          4, 'a future as_of is allowed and counts the later signal');

SELECT pg_temp.company('cap');
SELECT pg_temp.sig('cap', 'T_FLAT', interval '1 day') FROM generate_series(1, 5);
SELECT results_eq($$SELECT score, score_tier, signal_count FROM outreach.fn_compute_bit_score(
                        (SELECT oid FROM co WHERE k = 'cap'), (SELECT t FROM t0))$$,
                  $$VALUES (100::numeric, 'BURNING'::text, 5)$$, '5 x 30 = 150 is capped at 100, BURNING');
SELECT pg_temp.company('edge');
SELECT pg_temp.sig('edge', 'T_FLAT', interval '1 day', 74.99);
SELECT results_eq($$SELECT score, score_tier FROM outreach.fn_compute_bit_score((SELECT oid FROM co WHERE k = 'edge'), (SELECT t FROM t0))$$,
                  $$VALUES (74.99::numeric, 'HOT'::text)$$, '74.99 is HOT');
SELECT pg_temp.sig('edge', 'T_FLAT', interval '1 day', 0.01);
SELECT results_eq($$SELECT score, score_tier FROM outreach.fn_compute_bit_score((SELECT oid FROM co WHERE k = 'edge'), (SELECT t FROM t0))$$,
                  $$VALUES (75.00::numeric, 'BURNING'::text)$$, '74.99 + 0.01 = 75 is BURNING');
SELECT pg_temp.company('half');
SELECT pg_temp.sig('half', 'T_FLAT', interval '1 day', 0.005);
SELECT is(pg_temp.score('half'), 0.01, 'round(0.005, 2) = 0.01 (half away from zero, exact without decay)');
SELECT pg_temp.company('tiny');
SELECT pg_temp.sig('tiny', 'T_FLAT', interval '1 day', 0.000000001);
SELECT is(pg_temp.score('tiny'), 0::numeric, '1e-9 points round to a score of 0');

-- ---------------------------------------------------------------- unknown, NULL, bad as_of
SELECT results_eq($$SELECT * FROM outreach.fn_compute_bit_score('00000000-0000-0000-0000-000000000000'::uuid)$$,
                  $$VALUES (0::numeric, 'COLD'::text, 0, NULL::timestamptz)$$, 'an unknown id scores one zero row');
SELECT results_eq($$SELECT * FROM outreach.fn_compute_bit_score(NULL::uuid)$$,
                  $$VALUES (0::numeric, 'COLD'::text, 0, NULL::timestamptz)$$, 'a NULL id scores one zero row');
SELECT throws_ok($$SELECT * FROM outreach.fn_compute_bit_score((SELECT oid FROM co WHERE k = 'h10'), NULL)$$,
                 '22023', NULL, 'a NULL as_of is 22023');
SELECT throws_ok($$SELECT * FROM outreach.fn_compute_bit_score((SELECT oid FROM co WHERE k = 'h10'), 'infinity')$$,
                 '22023', NULL, 'an infinite as_of is 22023');
SELECT throws_ok($$SELECT * FROM outreach.fn_explain_bit_score((SELECT oid FROM co WHERE k = 'h10'), NULL)$$,
                 '22023', NULL, 'explain with a NULL as_of is 22023');
SELECT is_empty($$SELECT * FROM outreach.fn_explain_bit_score('00000000-0000-0000-0000-000000000000'::uuid)$$,
                'explain of an unknown id: no rows');

-- ---------------------------------------------------------------- explain
SELECT results_eq(
    $$SELECT signal_type, points, half_life_days, age_days, decay_factor, contribution
        FROM outreach.fn_explain_bit_score((SELECT oid FROM co WHERE k = 'mix'), (SELECT t FROM t0))$$,
    $$VALUES ('DOMAIN_VERIFIED'::text, 10::numeric, NULL::numeric, 400.000000::numeric, 1::numeric, 10.000000000::numeric),
             ('SLOT_FILLED', 15, 180, 360.000000, 0.25, 3.750000000),
             ('ENGAGEMENT_REPLY', 25, 45, 90.000000, 0.25, 6.250000000)$$,
    'explain: one row per counted signal, oldest first, with points, half-life, age, factor, contribution');
SELECT is((SELECT round(sum(contribution), 2) FROM outreach.fn_explain_bit_score(co.oid, (SELECT t FROM t0))),
          pg_temp.score(co.k), format('%s: the contributions add up to the score', co.k))
  FROM co WHERE co.k IN ('h10', 'h1', 'dol', 'news', 'exec', 'flat', 'mix', 'edge', 'half', 'ancient');
SELECT is((SELECT round(sum(contribution), 2) FROM outreach.fn_explain_bit_score((SELECT oid FROM co WHERE k = 'cap'), (SELECT t FROM t0))),
          150.00, 'the contributions add up to the score before the cap (150, capped to 100)');
SELECT is((SELECT count(*) FROM outreach.fn_explain_bit_score((SELECT oid FROM co WHERE k = 'mix'), (SELECT t FROM t0) + interval '1 year')),
          4::bigint, 'explain with a future as_of lists the later signal too');
SELECT ok((SELECT bool_and(contribution = round(points * decay_factor, 9)
                           OR abs(contribution - points * decay_factor) <= 0.000000001)
             FROM outreach.fn_explain_bit_score((SELECT oid FROM co WHERE k = 'dol'), (SELECT t FROM t0))),
          'contribution = points x decay_factor (to 1e-9 points)');
SELECT is((SELECT decay_factor FROM outreach.fn_explain_bit_score((SELECT oid FROM co WHERE k = 'h10'), (SELECT t FROM t0))),
          0.5::numeric, 'a signal one half-life old has decay factor 0.5');

-- ---------------------------------------------------------------- pure
CREATE TEMP TABLE scores_before AS SELECT * FROM outreach.bit_scores;
CREATE TEMP TABLE signals_before AS SELECT * FROM outreach.bit_signals;
SELECT lives_ok($$SELECT c.* FROM co, LATERAL outreach.fn_compute_bit_score(co.oid, (SELECT t FROM t0)) c$$, 'compute every company');
SELECT results_eq($$SELECT * FROM outreach.bit_scores ORDER BY outreach_id$$,
                  $$SELECT * FROM scores_before ORDER BY outreach_id$$, 'fn_compute_bit_score wrote nothing to bit_scores');
SELECT results_eq($$SELECT * FROM outreach.bit_signals ORDER BY signal_id$$,
                  $$SELECT * FROM signals_before ORDER BY signal_id$$, '... nor to bit_signals');
SET LOCAL transaction_read_only = on;
SELECT lives_ok($$SELECT * FROM outreach.fn_compute_bit_score((SELECT oid FROM co WHERE k = 'mix'))$$,
                'fn_compute_bit_score runs in a read-only transaction');
SELECT lives_ok($$SELECT * FROM outreach.fn_explain_bit_score((SELECT oid FROM co WHERE k = 'mix'))$$,
                'fn_explain_bit_score runs in a read-only transaction');
SELECT throws_ok($$SELECT outreach.fn_refresh_bit_scores()$$, '25006', NULL,
                 'while fn_refresh_bit_scores writes (refused in a read-only transaction)');

SELECT * FROM finish();
ROLLBACK;
