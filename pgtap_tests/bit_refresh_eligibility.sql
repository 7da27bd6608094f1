-- BIT engine and the maintained eligibility row: a refresh copies into outreach.company_eligibility
-- exactly the scores that changed (the other rows are not rewritten), and a score never changes company (OG003).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(13);

\set company_prefix BITEL-
\ir fixtures/bit_companies.sql
CREATE FUNCTION pg_temp.oid(p_k text) RETURNS uuid LANGUAGE sql AS $$ SELECT oid FROM co WHERE k = p_k $$;
-- the physical version of each of this file's eligibility rows: an UPDATE, even a HOT one, makes a new one
CREATE FUNCTION pg_temp.versions() RETURNS TABLE (k text, version tid) LANGUAGE sql AS $$
    SELECT co.k, e.ctid FROM co JOIN outreach.company_eligibility e ON e.outreach_id = co.oid ORDER BY co.k;
$$;
CREATE FUNCTION pg_temp.stored(p_k text) RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' ', e.bit_score, e.score_tier) FROM outreach.company_eligibility e WHERE e.outreach_id = pg_temp.oid(p_k);
$$;

-- a: a decaying signal; b: a signal that never decays; c: no signal
SELECT pg_temp.company(k) FROM unnest(ARRAY['a', 'b', 'c']) AS k;
SELECT outreach.fn_add_bit_signal('BITEL-a', 'DOL_RENEWAL_PROXIMITY', (SELECT t FROM t0) - interval '10 days');
SELECT outreach.fn_add_bit_signal('BITEL-b', 'DOMAIN_VERIFIED', (SELECT t FROM t0) - interval '100 days');
SELECT outreach.fn_refresh_bit_scores(NULL, (SELECT t FROM t0));
SELECT is(pg_temp.stored('a'), '23.15 COLD', 'a: 25 * 0.5^(10/90) copied into its eligibility row');
SELECT is(pg_temp.stored('b'), '10.00 COLD', 'b: 10, no decay');
SELECT is(pg_temp.stored('c'), '0.00 COLD', 'c: no signal, 0');

-- the same as_of again: every score row is rewritten, no eligibility row is
CREATE TEMP TABLE before_same AS SELECT * FROM pg_temp.versions();
CREATE TEMP TABLE scores_before AS SELECT b.outreach_id, b.ctid AS version FROM outreach.bit_scores b JOIN co ON co.oid = b.outreach_id;
SELECT is(outreach.fn_refresh_bit_scores(NULL, (SELECT t FROM t0)), (SELECT count(*)::integer FROM outreach.outreach),
          'a second refresh at the same as_of writes every score row');
SELECT is((SELECT count(*) FROM outreach.bit_scores b JOIN scores_before s USING (outreach_id) WHERE b.ctid = s.version),
          0::bigint, '... each of them a new version (as_of and computed_at are rewritten)');
SELECT results_eq($$SELECT * FROM pg_temp.versions()$$, $$SELECT * FROM before_same$$,
                  '... and no eligibility row was rewritten: no score changed');

-- 90 days later: only a's score moves
CREATE TEMP TABLE before_later AS SELECT * FROM pg_temp.versions();
SELECT outreach.fn_refresh_bit_scores(NULL, (SELECT t FROM t0) + interval '90 days');
SELECT is(pg_temp.stored('a'), '11.57 COLD', 'a decayed: 25 * 0.5^(100/90), copied');
SELECT results_eq($$SELECT k, version = (SELECT b.version FROM before_later b WHERE b.k = v.k) FROM pg_temp.versions() v$$,
                  $$VALUES ('a'::text, false), ('b', true), ('c', true)$$,
                  '... a''s eligibility row rewritten; b''s and c''s (scores unchanged) untouched');
SELECT is((SELECT count(*) FROM outreach.fn_company_eligibility_drift(ARRAY(SELECT 'BITEL-' || k FROM co))), 0::bigint,
          'every row equal to the from-scratch computation');

-- a score keeps its company: even the sanctioned writer cannot move one (the copy above relies on it)
-- (d: a company without a score row yet)
CREATE TEMP TABLE scores_keep AS SELECT * FROM outreach.bit_scores b WHERE b.outreach_id IN (SELECT oid FROM co);
SELECT format('UPDATE outreach.bit_scores SET outreach_id = %L, company_unique_id = %L WHERE outreach_id = %L',
              pg_temp.company('d'), 'BITEL-d', pg_temp.oid('a')) AS move_a_to_d \gset
SET LOCAL ROLE outreach_owner;
SELECT shq.fn_sanction('outreach.bit_scores');
SELECT throws_ok(:'move_a_to_d', 'OG003', NULL, 'moving a score to another company is OG003');
SELECT throws_ok($$UPDATE outreach.bit_scores SET company_unique_id = company_unique_id WHERE false$$,
                 'OG003', NULL, 'an UPDATE that sets a key column is OG003, even to the same value, even of no row');
SELECT lives_ok($$UPDATE outreach.bit_scores SET score = score WHERE false$$,
                'an UPDATE of the score columns only passes the key check');
SELECT shq.fn_sanction('');
RESET ROLE;
SELECT results_eq($$SELECT * FROM outreach.bit_scores b WHERE b.outreach_id IN (SELECT oid FROM co) ORDER BY 1$$,
                  $$SELECT * FROM scores_keep ORDER BY 1$$, 'the refused updates changed nothing');

SELECT * FROM finish();
ROLLBACK;
