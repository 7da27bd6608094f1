-- BIT engine: the seeded signal types, fn_score_tier on every
-- boundary, and who may call which BIT function (definer-ness, grants).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(43);

-- ---------------------------------------------------------------- seeded types
SELECT results_eq(
    $$SELECT signal_type, source_hub, weight_class, points, half_life_days
        FROM outreach.bit_signal_types
       WHERE signal_type IN ('DOMAIN_VERIFIED', 'DOL_RENEWAL_PROXIMITY', 'SLOT_FILLED', 'EXECUTIVE_MOVEMENT',
                             'NEWS_MENTION', 'ENGAGEMENT_REPLY')
       ORDER BY signal_type$$,
    $$VALUES ('DOL_RENEWAL_PROXIMITY', 'dol-filings', 'HIGH', 25::numeric, 90::numeric),
             ('DOMAIN_VERIFIED', 'company-target', 'BASE', 10, NULL),
             ('ENGAGEMENT_REPLY', 'outreach-execution', 'HIGH', 25, 45),
             ('EXECUTIVE_MOVEMENT', 'talent-flow', 'MEDIUM', 15, 90),
             ('NEWS_MENTION', 'blog-content', 'LOW', 5, 30),
             ('SLOT_FILLED', 'people-intelligence', 'MEDIUM', 15, 180)$$,
    'the six signal types are seeded as the contract lists them');
SELECT throws_ok($$INSERT INTO outreach.bit_signal_types (signal_type, source_hub, weight_class, points)
                   VALUES ('T_TOO_MANY', 'company-target', 'LOW', 1000001)$$,
                 '23514', NULL, 'a type with more than 1,000,000 points is refused');
SELECT throws_ok($$INSERT INTO outreach.bit_signal_types (signal_type, source_hub, weight_class, points, half_life_days)
                   VALUES ('T_NAN', 'company-target', 'LOW', 1, 'NaN')$$,
                 '23514', NULL, 'a NaN half-life is refused');

-- ---------------------------------------------------------------- fn_score_tier
SELECT is(outreach.fn_score_tier(t.score), t.tier, format('fn_score_tier(%s) = %s', t.score, coalesce(t.tier, 'NULL')))
  FROM (VALUES (0::numeric, 'COLD'), (24.99, 'COLD'), (24.999999, 'COLD'), (25, 'WARM'), (49.99, 'WARM'),
               (50, 'HOT'), (74.99, 'HOT'), (75, 'BURNING'), (100, 'BURNING'), (-1, 'COLD'),
               (NULL, NULL), ('NaN', NULL)) AS t(score, tier);
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'outreach.fn_score_tier(numeric)'::regprocedure), 'i'::"char",
          'fn_score_tier is IMMUTABLE');
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'outreach.fn_compute_bit_score(uuid, timestamptz)'::regprocedure),
          's'::"char", 'fn_compute_bit_score is STABLE (reads only)');
SELECT is((SELECT provolatile FROM pg_proc WHERE oid = 'outreach.fn_explain_bit_score(uuid, timestamptz)'::regprocedure),
          's'::"char", 'fn_explain_bit_score is STABLE (reads only)');

-- ---------------------------------------------------------------- definers
SELECT is_definer('outreach', 'fn_add_bit_signal', ARRAY['text', 'text', 'timestamp with time zone', 'text', 'numeric'],
                  'fn_add_bit_signal is SECURITY DEFINER (the sanctioned writer of bit_signals)');
SELECT is_definer('outreach', 'fn_refresh_bit_scores', ARRAY['uuid[]', 'timestamp with time zone'],
                  'fn_refresh_bit_scores is SECURITY DEFINER (the sanctioned writer of bit_scores)');
SELECT isnt_definer('outreach', 'fn_compute_bit_score', ARRAY['uuid', 'timestamp with time zone'],
                    'fn_compute_bit_score runs as its caller');
SELECT isnt_definer('outreach', 'fn_explain_bit_score', ARRAY['uuid', 'timestamp with time zone'],
                    'fn_explain_bit_score runs as its caller');
SELECT isnt_definer('shq', 'fn_check_bit_done', ARRAY['uuid'], 'fn_check_bit_done runs as its caller');
SELECT is((SELECT count(*) FROM pg_proc p
            WHERE p.oid IN ('outreach.fn_add_bit_signal(text, text, timestamptz, text, numeric)'::regprocedure,
                            'outreach.fn_refresh_bit_scores(uuid[], timestamptz)'::regprocedure)
              AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp']), 2::bigint,
          'both sanctioned writers pin search_path');

-- ---------------------------------------------------------------- grants
SELECT ok(has_function_privilege('outreach_hub_writer', 'outreach.fn_add_bit_signal(text, text, timestamptz, text, numeric)', 'EXECUTE'),
          'hub_writer may add signals');
SELECT ok(has_function_privilege('outreach_hub_writer', 'outreach.fn_refresh_bit_scores(uuid[], timestamptz)', 'EXECUTE'),
          'hub_writer may refresh scores');
SELECT ok(NOT has_function_privilege(r, 'outreach.fn_add_bit_signal(text, text, timestamptz, text, numeric)', 'EXECUTE'),
          r || ' may not add signals')
  FROM unnest(ARRAY['outreach_reader', 'outreach_sender', 'outreach_override_admin', 'outreach_governor',
                    'outreach_cl_authority']) AS r;
SELECT ok(NOT has_function_privilege(r, 'outreach.fn_refresh_bit_scores(uuid[], timestamptz)', 'EXECUTE'),
          r || ' may not refresh scores')
  FROM unnest(ARRAY['outreach_reader', 'outreach_sender', 'outreach_override_admin', 'outreach_governor']) AS r;
SELECT ok(has_function_privilege(r, 'outreach.fn_score_tier(numeric)', 'EXECUTE'), r || ' may call fn_score_tier')
  FROM unnest(ARRAY['outreach_reader', 'outreach_hub_writer']) AS r;
SELECT ok(has_function_privilege('outreach_governor', 'shq.fn_check_bit_done(uuid)', 'EXECUTE'),
          'governor may call fn_check_bit_done');
SELECT ok(NOT has_function_privilege('outreach_reader', 'outreach.fn_compute_bit_score(uuid, timestamptz)', 'EXECUTE'),
          'reader reads views, not the raw scoring');
SELECT is((SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a
            WHERE p.pronamespace IN ('outreach'::regnamespace, 'shq'::regnamespace)
              AND (p.proname LIKE '%bit%' OR p.proname = 'fn_score_tier') AND a.grantee = 0),
          0::bigint, 'no BIT function is executable by PUBLIC');
SELECT ok(NOT has_table_privilege('outreach_hub_writer', 'outreach.bit_signals', 'INSERT'),
          'hub_writer cannot INSERT into bit_signals directly');
SELECT ok(NOT has_table_privilege('outreach_hub_writer', 'outreach.bit_scores', 'INSERT,UPDATE,DELETE,TRUNCATE'),
          'hub_writer holds no write privilege on bit_scores');
SELECT ok(NOT has_table_privilege('outreach_reader', 'outreach.bit_scores', 'SELECT'),
          'reader has no raw-table access to bit_scores');

SELECT * FROM finish();
ROLLBACK;
