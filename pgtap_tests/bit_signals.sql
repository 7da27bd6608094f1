-- BIT engine: outreach.fn_add_bit_signal — defaults, idempotency on
-- dedup_key, minting an unminted CL company, every bad input refused with
-- nothing changed, bit_signals append-only, and who may add signals.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(52);

SELECT cl.fn_register_company('BITSIG-A', 'Alpha', 'alpha.test');
SELECT cl.fn_register_company('BITSIG-B', 'Beta', 'beta.test');      -- registered, never minted
SELECT cl.fn_register_company('BITSIG-C', 'Gamma', 'gamma.test');    -- registered, never minted
SELECT outreach.fn_mint_outreach_id('BITSIG-A');
CREATE TEMP TABLE ids AS
SELECT (SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = 'BITSIG-A') AS a;

-- ---------------------------------------------------------------- defaults
CREATE TEMP TABLE s1 AS SELECT outreach.fn_add_bit_signal('BITSIG-A', 'SLOT_FILLED') AS id;
SELECT results_eq(
    $$SELECT outreach_id, company_unique_id, signal_type, points, occurred_at, dedup_key, recorded_at IS NOT NULL
        FROM outreach.bit_signals WHERE signal_id = (SELECT id FROM s1)$$,
    $$SELECT (SELECT a FROM ids), 'BITSIG-A'::text, 'SLOT_FILLED'::text, 15::numeric, now(), NULL::text, true$$,
    'a signal takes the type''s points, occurred_at now() and the company''s spine outreach_id');
SELECT is(outreach.fn_add_bit_signal('BITSIG-A', 'NEWS_MENTION', now() - interval '3 days', NULL, 7.5) IS NOT NULL, true,
          'explicit points are accepted');
SELECT is((SELECT points FROM outreach.bit_signals WHERE company_unique_id = 'BITSIG-A' AND signal_type = 'NEWS_MENTION'),
          7.5::numeric, '... and stored instead of the type''s');
SELECT lives_ok($$SELECT outreach.fn_add_bit_signal('BITSIG-A', 'NEWS_MENTION', now(), 'zero', 0)$$, 'zero points are allowed');
SELECT lives_ok($$SELECT outreach.fn_add_bit_signal('BITSIG-A', 'DOL_RENEWAL_PROXIMITY', now() + interval '30 days', 'future')$$,
                'a signal may carry a future occurred_at (it counts once as_of reaches it)');
SELECT lives_ok($$SELECT outreach.fn_add_bit_signal('BITSIG-A', 'NEWS_MENTION', now(), 'nine-decimals', 1.123456789)$$,
                'points with 9 decimals are accepted');

-- ---------------------------------------------------------------- dedup
CREATE TEMP TABLE d1 AS SELECT outreach.fn_add_bit_signal('BITSIG-A', 'EXECUTIVE_MOVEMENT', now() - interval '1 day', 'move-42') AS id;
CREATE TEMP TABLE before_dedup AS SELECT * FROM outreach.bit_signals;
SELECT is(outreach.fn_add_bit_signal('BITSIG-A', 'EXECUTIVE_MOVEMENT', now() - interval '1 day', 'move-42'),
          (SELECT id FROM d1), 'the same (company, type, dedup_key) returns the existing signal_id');
SELECT is(outreach.fn_add_bit_signal('BITSIG-A', 'EXECUTIVE_MOVEMENT', now() - interval '9 days', 'move-42', 99),
          (SELECT id FROM d1), '... even with other points and occurred_at');
SELECT results_eq($$SELECT * FROM outreach.bit_signals ORDER BY signal_id$$,
                  $$SELECT * FROM before_dedup ORDER BY signal_id$$,
                  'a repeated dedup_key stores nothing and changes nothing');
SELECT isnt(outreach.fn_add_bit_signal('BITSIG-A', 'SLOT_FILLED', now(), 'move-42'), (SELECT id FROM d1),
            'the same key under another type is another signal');
SELECT isnt(outreach.fn_add_bit_signal('BITSIG-A', 'EXECUTIVE_MOVEMENT', now(), 'move-43'), (SELECT id FROM d1),
            'another key is another signal');
SELECT isnt(outreach.fn_add_bit_signal('BITSIG-A', 'NEWS_MENTION', now(), NULL),
            outreach.fn_add_bit_signal('BITSIG-A', 'NEWS_MENTION', now(), NULL),
            'without a dedup_key every call is a new signal');
SELECT isnt(outreach.fn_add_bit_signal('BITSIG-A', 'NEWS_MENTION', now(), '   '),
            outreach.fn_add_bit_signal('BITSIG-A', 'NEWS_MENTION', now(), ''),
            'a blank dedup_key is no key: never deduplicated');
SELECT is((SELECT count(*) FROM outreach.bit_signals WHERE company_unique_id = 'BITSIG-A' AND dedup_key ~ '^\s*$'),
          0::bigint, '... and stored as NULL');

-- ---------------------------------------------------------------- unminted CL company
CREATE TEMP TABLE sb AS SELECT outreach.fn_add_bit_signal('BITSIG-B', 'DOMAIN_VERIFIED') AS id;
SELECT isnt((SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = 'BITSIG-B'), NULL,
            'a signal for a CL company without an outreach_id mints one (Golden Rule)');
SELECT is((SELECT outreach_id FROM cl.company_identity WHERE company_unique_id = 'BITSIG-B'),
          (SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = 'BITSIG-B'),
          '... bound once in CL');
SELECT is((SELECT outreach_id FROM outreach.bit_signals WHERE signal_id = (SELECT id FROM sb)),
          (SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = 'BITSIG-B'),
          '... and the signal carries it');

-- ---------------------------------------------------------------- bad input: nothing changes
CREATE TEMP TABLE sig_before AS SELECT * FROM outreach.bit_signals;
CREATE TEMP TABLE spine_before AS SELECT * FROM outreach.outreach;
CREATE TEMP TABLE cl_before AS SELECT company_unique_id, outreach_id FROM cl.company_identity;
CREATE TEMP TABLE scores_before AS SELECT * FROM outreach.bit_scores;

SELECT throws_ok(format('SELECT outreach.fn_add_bit_signal(%L, %L)', c, 'SLOT_FILLED'), 'OG001', NULL,
                 format('company %s is OG001', coalesce(quote_literal(c), 'NULL')))
  FROM unnest(ARRAY[NULL, '', '   ', E'\t']) AS c;
SELECT throws_ok($$SELECT outreach.fn_add_bit_signal('BITSIG-NOPE', 'SLOT_FILLED')$$, 'OG002', NULL,
                 'a company CL does not know is OG002');
SELECT throws_ok($$SELECT outreach.fn_add_bit_signal('bitsig-a', 'SLOT_FILLED')$$, 'OG002', NULL,
                 'company ids are exact (no case folding): OG002');
SELECT throws_ok(format('SELECT outreach.fn_add_bit_signal(%L, %L)', 'BITSIG-A', t), '22023', NULL,
                 format('signal type %s is 22023', coalesce(quote_literal(t), 'NULL')))
  FROM unnest(ARRAY[NULL, '', '  ', 'NO_SUCH_TYPE', 'slot_filled']) AS t;
SELECT throws_ok($$SELECT outreach.fn_add_bit_signal('BITSIG-C', 'NO_SUCH_TYPE')$$, '22023', NULL,
                 'an unknown type for an unminted company is 22023 ...');
SELECT throws_ok(format('SELECT outreach.fn_add_bit_signal(%L, %L, now(), NULL, %s)', 'BITSIG-C', 'SLOT_FILLED', p),
                 '22023', NULL, format('points %s are 22023', p))
  FROM unnest(ARRAY['-1', '-0.000000001', '''NaN''', '''Infinity''', '1000000.5', '0.0000000001']) AS p;
SELECT throws_ok(format('SELECT outreach.fn_add_bit_signal(%L, %L, %s)', 'BITSIG-C', 'SLOT_FILLED', o),
                 '22023', NULL, format('occurred_at %s is 22023', o))
  FROM unnest(ARRAY['NULL', '''infinity''', '''-infinity''']) AS o;
SELECT results_eq($$SELECT * FROM outreach.bit_signals ORDER BY signal_id$$,
                  $$SELECT * FROM sig_before ORDER BY signal_id$$, 'no refused call stored a signal');
SELECT results_eq($$SELECT * FROM outreach.outreach ORDER BY company_unique_id$$,
                  $$SELECT * FROM spine_before ORDER BY company_unique_id$$,
                  'no refused call minted a spine row (BITSIG-C is still unminted)');
SELECT results_eq($$SELECT company_unique_id, outreach_id FROM cl.company_identity ORDER BY 1$$,
                  $$SELECT * FROM cl_before ORDER BY 1$$, 'no refused call bound an id in CL');
SELECT results_eq($$SELECT * FROM outreach.bit_scores ORDER BY outreach_id$$,
                  $$SELECT * FROM scores_before ORDER BY outreach_id$$, 'no refused call touched bit_scores');

-- ---------------------------------------------------------------- append-only
SELECT throws_ok($$UPDATE outreach.bit_signals SET points = 99$$, 'OG004', NULL, 'a signal is never updated');
SELECT throws_ok($$DELETE FROM outreach.bit_signals$$, 'OG004', NULL, 'a signal is never deleted');
SELECT throws_ok($$TRUNCATE outreach.bit_signals$$, 'OG004', NULL, 'bit_signals cannot be truncated');
SELECT throws_ok($$INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at, dedup_key)
                   SELECT outreach_id, company_unique_id, signal_type, points, occurred_at, dedup_key
                     FROM outreach.bit_signals WHERE dedup_key = 'move-42'
                   ON CONFLICT ON CONSTRAINT bit_signals_dedup_key DO UPDATE SET points = 1$$,
                 'OG004', NULL, 'an upsert that would update a signal is refused');
SELECT throws_ok($$INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)
                   VALUES ((SELECT a FROM ids), 'BITSIG-B', 'SLOT_FILLED', 1, now())$$,
                 '23503', NULL, 'a signal whose company and outreach_id disagree is refused (spine key)');

-- ---------------------------------------------------------------- roles
SET LOCAL ROLE outreach_hub_writer;
SELECT lives_ok($$SELECT outreach.fn_add_bit_signal('BITSIG-A', 'ENGAGEMENT_REPLY', now(), 'as-hub-writer')$$,
                'hub_writer adds a signal (its score refresh runs as the definer)');
SELECT throws_ok($$INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)
                   VALUES ((SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = 'BITSIG-A'),
                           'BITSIG-A', 'SLOT_FILLED', 1, now())$$,
                 '42501', NULL, 'hub_writer cannot INSERT into bit_signals directly');
RESET ROLE;
SELECT is((SELECT signal_count FROM outreach.bit_scores WHERE outreach_id = (SELECT a FROM ids)),
          (SELECT count(*)::integer FROM outreach.bit_signals WHERE outreach_id = (SELECT a FROM ids) AND occurred_at <= now()),
          'the incremental refresh keeps the company''s score current (signals up to now)');
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT outreach.fn_add_bit_signal('BITSIG-A', 'SLOT_FILLED')$$, '42501', NULL,
                 'reader cannot add signals');
RESET ROLE;
SET LOCAL ROLE outreach_sender;
SELECT throws_ok($$SELECT outreach.fn_add_bit_signal('BITSIG-A', 'SLOT_FILLED')$$, '42501', NULL,
                 'sender cannot add signals directly (the REPLY trigger does it as definer)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
