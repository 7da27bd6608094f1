-- BIT engine: fn_refresh_bit_scores (all companies or a
-- list, rows written, equal to fn_compute_bit_score), the incremental
-- statement trigger touching only the companies of the statement, bit_scores
-- sovereign (OG005 for every direct write), and shq.fn_check_bit_done.
-- Rows are this file's companies (BITREF-*) wherever the database holds others;
-- a refresh of all writes one row per spine company, whatever the spine holds.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(59);

INSERT INTO outreach.bit_signal_types (signal_type, source_hub, weight_class, points, half_life_days)
VALUES ('T_FLAT', 'company-target', 'LOW', 30, NULL);
\set company_prefix BITREF-
\ir fixtures/bit_companies.sql
CREATE FUNCTION pg_temp.oid(p_k text) RETURNS uuid LANGUAGE sql AS $$ SELECT oid FROM co WHERE k = p_k $$;
CREATE FUNCTION pg_temp.spine() RETURNS integer LANGUAGE sql AS $$ SELECT count(*)::integer FROM outreach.outreach $$;
CREATE FUNCTION pg_temp.scored() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM outreach.bit_scores b JOIN co ON co.oid = b.outreach_id;
$$;

SELECT pg_temp.company(k) FROM unnest(ARRAY['a', 'b', 'c']) AS k;     -- c never gets a signal
SELECT cl.fn_register_company('BITREF-unminted', 'u', 'u.test');       -- in CL, not in the spine
SELECT outreach.fn_add_bit_signal('BITREF-a', 'DOL_RENEWAL_PROXIMITY', (SELECT t FROM t0) - interval '10 days');
SELECT outreach.fn_add_bit_signal('BITREF-a', 'DOMAIN_VERIFIED', (SELECT t FROM t0) - interval '100 days');
SELECT outreach.fn_add_bit_signal('BITREF-b', 'NEWS_MENTION', (SELECT t FROM t0) - interval '30 days');

-- ---------------------------------------------------------------- incremental on add
SELECT is(pg_temp.scored(), 2::bigint, 'adding signals scored exactly the companies that got them (a, b)');
SELECT is((SELECT signal_count FROM outreach.bit_scores WHERE outreach_id = pg_temp.oid('a')), 2,
          'a''s row counts both of its signals');

-- ---------------------------------------------------------------- refresh all
SELECT is(outreach.fn_refresh_bit_scores(NULL, (SELECT t FROM t0)), pg_temp.spine(),
          'refreshing all writes one row per spine company');
SELECT results_eq(
    $$SELECT b.outreach_id, b.company_unique_id, b.score, b.score_tier, b.signal_count, b.last_signal_at, b.as_of
        FROM outreach.bit_scores b JOIN co ON co.oid = b.outreach_id ORDER BY b.outreach_id$$,
    $$SELECT co.oid, 'BITREF-' || co.k, c.score, c.score_tier, c.signal_count, c.last_signal_at, (SELECT t FROM t0)
        FROM co, LATERAL outreach.fn_compute_bit_score(co.oid, (SELECT t FROM t0)) c ORDER BY co.oid$$,
    'every stored row equals fn_compute_bit_score at the same as_of');
SELECT results_eq($$SELECT score, score_tier, signal_count, last_signal_at FROM outreach.bit_scores WHERE outreach_id = pg_temp.oid('c')$$,
                  $$VALUES (0::numeric, 'COLD'::text, 0, NULL::timestamptz)$$,
                  'a company without signals gets 0 / COLD / 0 / no last signal');
SELECT is((SELECT score FROM outreach.bit_scores WHERE outreach_id = pg_temp.oid('a')), 33.15,
          'a: 25 * 0.5^(10/90) + 10 = 33.15');
SELECT is((SELECT count(*) FROM outreach.bit_scores WHERE company_unique_id = 'BITREF-unminted'), 0::bigint,
          'a CL company outside the spine gets no row');
SELECT is((SELECT computed_at FROM outreach.bit_scores WHERE outreach_id = pg_temp.oid('a')), now(),
          'computed_at records when the refresh ran');
SELECT is(outreach.fn_refresh_bit_scores(NULL, (SELECT t FROM t0)), pg_temp.spine(), 'refreshing again rewrites the same rows');
SELECT is((SELECT count(*)::integer FROM outreach.bit_scores), pg_temp.spine(), '... one row per company, never two');

-- ---------------------------------------------------------------- refresh a list
SELECT is(outreach.fn_refresh_bit_scores(ARRAY[pg_temp.oid('a')], (SELECT t FROM t0) + interval '90 days'), 1,
          'refreshing one company writes one row');
SELECT results_eq($$SELECT k, as_of FROM outreach.bit_scores JOIN co ON co.oid = outreach_id ORDER BY k$$,
                  $$VALUES ('a'::text, (SELECT t FROM t0) + interval '90 days'), ('b', (SELECT t FROM t0)), ('c', (SELECT t FROM t0))$$,
                  '... and only that one');
SELECT is((SELECT score FROM outreach.bit_scores WHERE outreach_id = pg_temp.oid('a')), 21.57,
          'a at +90 days: 25 * 0.5^(100/90) + 10 = 21.57');
SELECT is(outreach.fn_refresh_bit_scores(ARRAY[pg_temp.oid('a'), pg_temp.oid('a'), NULL, gen_random_uuid()], (SELECT t FROM t0)), 1,
          'duplicates, NULLs and ids outside the spine are skipped');
SELECT is(outreach.fn_refresh_bit_scores('{}'::uuid[], (SELECT t FROM t0)), 0, 'an empty list refreshes nothing');
SELECT is(outreach.fn_refresh_bit_scores(ARRAY[NULL]::uuid[], (SELECT t FROM t0)), 0, 'a list of NULLs refreshes nothing');
SELECT is(outreach.fn_refresh_bit_scores(ARRAY[gen_random_uuid()], (SELECT t FROM t0)), 0, 'an unknown id refreshes nothing');
SELECT results_eq($$SELECT k, as_of FROM outreach.bit_scores JOIN co ON co.oid = outreach_id ORDER BY k$$,
                  $$VALUES ('a'::text, (SELECT t FROM t0)), ('b', (SELECT t FROM t0)), ('c', (SELECT t FROM t0))$$,
                  'rows as expected after the list refreshes');

CREATE TEMP TABLE scores_before AS SELECT * FROM outreach.bit_scores;
SELECT throws_ok($$SELECT outreach.fn_refresh_bit_scores(NULL, NULL)$$, '22023', NULL, 'a NULL as_of is 22023');
SELECT throws_ok($$SELECT outreach.fn_refresh_bit_scores(NULL, 'infinity')$$, '22023', NULL, 'an infinite as_of is 22023');
SELECT throws_ok($$SELECT outreach.fn_refresh_bit_scores(ARRAY[pg_temp.oid('a')], '-infinity')$$, '22023', NULL,
                 'a -infinite as_of is 22023');
SELECT results_eq($$SELECT * FROM outreach.bit_scores ORDER BY outreach_id$$,
                  $$SELECT * FROM scores_before ORDER BY outreach_id$$, 'refused refreshes changed nothing');

-- ---------------------------------------------------------------- the stored tier on every boundary
SELECT pg_temp.company('tier-' || p) FROM unnest(ARRAY['24.99', '25', '49.99', '50', '74.99', '75']) AS p;
SELECT outreach.fn_add_bit_signal('BITREF-tier-' || p, 'T_FLAT', (SELECT t FROM t0) - interval '1 day', NULL, p::numeric)
  FROM unnest(ARRAY['24.99', '25', '49.99', '50', '74.99', '75']) AS p;
SELECT is(outreach.fn_refresh_bit_scores(NULL, (SELECT t FROM t0)), pg_temp.spine(), 'refresh all: the six new companies too');
SELECT results_eq(
    $$SELECT b.score, b.score_tier FROM outreach.bit_scores b JOIN co ON co.oid = b.outreach_id
       WHERE co.k LIKE 'tier-%' ORDER BY b.score$$,
    $$VALUES (24.99::numeric, 'COLD'::text), (25, 'WARM'), (49.99, 'WARM'), (50, 'HOT'), (74.99, 'HOT'), (75, 'BURNING')$$,
    'the stored tier follows the boundaries');
SELECT is((SELECT count(*) FROM outreach.bit_scores WHERE score_tier IS DISTINCT FROM outreach.fn_score_tier(score)),
          0::bigint, 'every stored tier is fn_score_tier(score)');

-- ---------------------------------------------------------------- incremental: one statement, its companies only
SELECT pg_temp.company(k) FROM unnest(ARRAY['e', 'f']) AS k;
SELECT is(outreach.fn_refresh_bit_scores(NULL, (SELECT t FROM t0)), pg_temp.spine(), 'everyone scored as of t0');
INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at, dedup_key)
SELECT co.oid, 'BITREF-' || co.k, 'T_FLAT', 30, (SELECT t FROM t0), 'batch-' || g
  FROM co CROSS JOIN generate_series(1, 3) g WHERE co.k IN ('e', 'f');
SELECT results_eq(
    $$SELECT co.k, b.as_of = now(), b.signal_count FROM outreach.bit_scores b JOIN co ON co.oid = b.outreach_id
       WHERE b.as_of <> (SELECT t FROM t0) ORDER BY co.k$$,
    $$VALUES ('e'::text, true, 3), ('f', true, 3)$$,
    'a multi-row INSERT rescored exactly its two companies, as of now()');
SELECT is((SELECT count(*)::integer FROM outreach.bit_scores WHERE as_of = (SELECT t FROM t0)), pg_temp.spine() - 2,
          'the other rows were not touched');
CREATE TEMP TABLE scores_mid AS SELECT * FROM outreach.bit_scores;
INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at, dedup_key)
SELECT co.oid, 'BITREF-' || co.k, 'T_FLAT', 30, (SELECT t FROM t0), 'batch-1'
  FROM co WHERE co.k IN ('e', 'f')
ON CONFLICT ON CONSTRAINT bit_signals_dedup_key DO NOTHING;
SELECT results_eq($$SELECT * FROM outreach.bit_scores ORDER BY outreach_id$$,
                  $$SELECT * FROM scores_mid ORDER BY outreach_id$$,
                  'an INSERT that stored nothing (all duplicates) rescored nobody');

-- ---------------------------------------------------------------- sovereign
SELECT throws_ok($$INSERT INTO outreach.bit_scores (outreach_id, company_unique_id, score, score_tier, signal_count, as_of)
                   VALUES (pg_temp.oid('c'), 'BITREF-c', 99, 'BURNING', 1, now())
                   ON CONFLICT (outreach_id) DO UPDATE SET score = 99$$,
                 'OG005', NULL, 'a superuser upsert into bit_scores is OG005');
SELECT throws_ok($$UPDATE outreach.bit_scores SET score = 99$$, 'OG005', NULL, 'UPDATE bit_scores is OG005');
SELECT throws_ok($$DELETE FROM outreach.bit_scores$$, 'OG005', NULL, 'DELETE bit_scores is OG005');
SELECT throws_ok($$TRUNCATE outreach.bit_scores$$, 'OG005', NULL, 'TRUNCATE bit_scores is OG005');
SELECT shq.fn_sanction('outreach.bit_scores');
SELECT throws_ok($$UPDATE outreach.bit_scores SET score = 99$$, 'OG005', NULL,
                 'setting the sanction by hand sanctions nothing');
SELECT shq.fn_sanction('');
SET LOCAL ROLE outreach_hub_writer;
SELECT throws_ok($$UPDATE outreach.bit_scores SET score = 99$$, '42501', NULL, 'hub_writer has no UPDATE on bit_scores');
SELECT is(outreach.fn_refresh_bit_scores(ARRAY[(SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = 'BITREF-c')],
                                        '2025-06-01 12:00:00+00'), 1,
          'hub_writer refreshes through the sanctioned function');
RESET ROLE;
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT outreach.fn_refresh_bit_scores()$$, '42501', NULL, 'reader cannot refresh');
RESET ROLE;
SELECT results_eq($$SELECT outreach_id, score FROM outreach.bit_scores ORDER BY outreach_id$$,
                  $$SELECT outreach_id, score FROM scores_mid ORDER BY outreach_id$$,
                  'no refused write changed a score');

-- the caller's own sanction survives a refresh inside it
SELECT shq.fn_sanction('outreach.company_hub_status');
SELECT lives_ok($$SELECT outreach.fn_refresh_bit_scores(ARRAY[pg_temp.oid('c')], (SELECT t FROM t0))$$, 'nested refresh');
SELECT is(current_setting('shq.sanctioned_writer'), 'outreach.company_hub_status',
          'fn_refresh_bit_scores restores the sanction it found');
SELECT shq.fn_sanction('');

-- ---------------------------------------------------------------- DONE check
SELECT is(shq.fn_check_bit_done(pg_temp.oid('a')), true, 'a has a score from 2 signals: DONE');
SELECT is(shq.fn_check_bit_done(pg_temp.oid('c')), false, 'c has a row but no signal: not DONE');
SELECT is(shq.fn_check_bit_done(gen_random_uuid()), false, 'an unknown id: not DONE');
SELECT is(shq.fn_check_bit_done(NULL), false, 'NULL: not DONE');
SELECT is(outreach.fn_refresh_bit_scores(ARRAY[pg_temp.oid('a')], (SELECT t FROM t0) - interval '1 year'), 1,
          'a scored as of a year before its signals');
SELECT is(shq.fn_check_bit_done(pg_temp.oid('a')), false, '... has signal_count 0: not DONE');
SELECT pg_temp.company('late');
SELECT is(shq.fn_check_bit_done(pg_temp.oid('late')), false, 'a company without a scores row: not DONE');
SELECT outreach.fn_add_bit_signal('BITREF-late', 'NEWS_MENTION');
SELECT is(shq.fn_check_bit_done(pg_temp.oid('late')), true, 'its first signal scores it: DONE');

-- ---------------------------------------------------------------- refresh all, as of before the signals
-- Rows of companies with no signal up to as_of fall back to 0, in the same
-- call that rescored the others; a spine company without a row gets one.
SELECT pg_temp.company('rowless');
SELECT is(outreach.fn_refresh_bit_scores(NULL, (SELECT t FROM t0) - interval '1 year'), pg_temp.spine(),
          'refresh all a year back writes one row per spine company');
SELECT is((SELECT count(*) FROM outreach.bit_scores b JOIN co ON co.oid = b.outreach_id
            WHERE b.score = 0 AND b.score_tier = 'COLD' AND b.signal_count = 0 AND b.last_signal_at IS NULL
              AND b.as_of = (SELECT t FROM t0) - interval '1 year' AND b.computed_at = now()),
          (SELECT count(*) FROM co),
          '... every row is 0 / COLD / 0 signals as of then (no signal is that old)');
SELECT is((SELECT count(*) FROM outreach.bit_scores WHERE outreach_id = pg_temp.oid('rowless')), 1::bigint,
          '... and the company that had no row has one');
SELECT results_eq(
    $$SELECT b.outreach_id, b.score, b.score_tier, b.signal_count, b.last_signal_at
        FROM outreach.bit_scores b JOIN co ON co.oid = b.outreach_id ORDER BY 1$$,
    $$SELECT co.oid, c.score, c.score_tier, c.signal_count, c.last_signal_at
        FROM co, LATERAL outreach.fn_compute_bit_score(co.oid, (SELECT t FROM t0) - interval '1 year') c ORDER BY 1$$,
    '... equal to fn_compute_bit_score a year back');

-- ---------------------------------------------------------------- refresh all: many rows missing, or a few
-- Signals stored while their trigger is silent (a bulk load in replica mode,
-- as pyctl seed does) leave their companies without a row. When more than a
-- tenth of the spine has none, the full refresh inserts them from the
-- aggregate of every company; when fewer, from one index range each (which
-- of the two the first refresh below takes depends on how big the spine is).
SELECT pg_temp.company('bulk' || i) FROM generate_series(1, 20) AS i;
SET LOCAL session_replication_role = replica;
SELECT count(outreach.fn_add_bit_signal('BITREF-bulk' || i, 'NEWS_MENTION', (SELECT t FROM t0) - make_interval(days => i)))
  FROM generate_series(1, 20) AS i WHERE i % 4 <> 0;
SELECT count(outreach.fn_add_bit_signal('BITREF-bulk' || i, 'DOMAIN_VERIFIED', (SELECT t FROM t0) - make_interval(days => 3 * i)))
  FROM generate_series(1, 20) AS i WHERE i % 3 = 0;
RESET session_replication_role;
SELECT is((SELECT count(*) FROM outreach.bit_scores b JOIN co ON co.oid = b.outreach_id WHERE co.k LIKE 'bulk%'), 0::bigint,
          'signals stored in replica mode scored nobody (the trigger is ENABLE ORIGIN)');
SELECT is(outreach.fn_refresh_bit_scores(NULL, (SELECT t FROM t0)), pg_temp.spine(),
          'refresh all with 20 of the spine''s companies rowless: one row per spine company');
SELECT results_eq(
    $$SELECT b.outreach_id, b.company_unique_id, b.score, b.score_tier, b.signal_count, b.last_signal_at, b.as_of
        FROM outreach.bit_scores b JOIN co ON co.oid = b.outreach_id ORDER BY 1$$,
    $$SELECT co.oid, 'BITREF-' || co.k, c.score, c.score_tier, c.signal_count, c.last_signal_at, (SELECT t FROM t0)
        FROM co, LATERAL outreach.fn_compute_bit_score(co.oid, (SELECT t FROM t0)) c ORDER BY 1$$,
    '... every row (scored from the aggregate, or zero without a signal) equals fn_compute_bit_score');
SELECT cmp_ok((SELECT count(*) FROM outreach.bit_scores b JOIN co ON co.oid = b.outreach_id
                WHERE co.k LIKE 'bulk%' AND b.signal_count = 2), '>', 0::bigint,
              '... and some bulk companies have two signals, all of them counted');
SELECT pg_temp.company('one-late');
SET LOCAL session_replication_role = replica;
SELECT outreach.fn_add_bit_signal('BITREF-one-late', 'NEWS_MENTION', (SELECT t FROM t0) - interval '2 days');
RESET session_replication_role;
SELECT is(outreach.fn_refresh_bit_scores(NULL, (SELECT t FROM t0)), pg_temp.spine(),
          'refresh all with one rowless company (under a tenth of the spine): one row per spine company');
SELECT results_eq(
    $$SELECT b.score, b.score_tier, b.signal_count, b.last_signal_at FROM outreach.bit_scores b
       WHERE b.outreach_id = pg_temp.oid('one-late')$$,
    $$SELECT c.score, c.score_tier, c.signal_count, c.last_signal_at
        FROM outreach.fn_compute_bit_score(pg_temp.oid('one-late'), (SELECT t FROM t0)) c$$,
    '... its row equals fn_compute_bit_score');
SELECT is((SELECT signal_count FROM outreach.bit_scores WHERE outreach_id = pg_temp.oid('one-late')), 1,
          '... with its one signal');

SELECT * FROM finish();
ROLLBACK;
