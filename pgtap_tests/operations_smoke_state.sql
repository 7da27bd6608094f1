-- Smoke test and live-state figures: random distinct
-- companies, verdicts agreeing with the authoritative views and the gate,
-- dry-run gate rows only, one SMOKE_TEST audit row; bad sizes 22023; the
-- state document's counts, on an empty database and with a view missing.
-- On a database that holds data, counts are taken against what it held
-- before, and the empty-database case is skipped (it runs on a fresh one).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(30);
\ir fixtures/company.sql

-- ---------------------------------------------------------------- on an empty spine
CREATE TEMP TABLE before AS
SELECT (SELECT count(*)::int FROM outreach.outreach) AS spine, shq.fn_live_system_state() AS state;
CREATE FUNCTION pg_temp.before(p_path text[]) RETURNS integer LANGUAGE sql AS $$
    SELECT coalesce((b.state #>> p_path)::int, 0) FROM before b;
$$;
SELECT is((SELECT count(*)::int FROM jsonb_array_elements((SELECT state FROM before) -> 'row_counts')), 32,
          'the state has a row count for each of the 32 tables');
SELECT CASE WHEN (SELECT spine FROM before) = 0 THEN collect_tap(
    is((SELECT count(*)::int FROM shq.fn_run_smoke_test()), 0, 'an empty spine: the smoke test returns no rows ...'),
    results_eq($$SELECT (details ->> 'checked')::int, details ->> 'campaign_id' FROM shq.audit_log
                  WHERE event_type = 'SMOKE_TEST' ORDER BY audit_id DESC LIMIT 1$$,
               $$VALUES (0, 'SMOKE-TEST'::text)$$, '... but still logs its SMOKE_TEST audit row'),
    is(pg_temp.before('{companies,total}'), 0, 'the state of an empty database: 0 companies'),
    is(((SELECT state FROM before) -> 'spine_alignment' ->> 'is_aligned')::boolean, true, '... aligned'))
ELSE skip('the spine holds data: the empty-database case runs on a fresh database', 4) END;

-- ---------------------------------------------------------------- data
SELECT pg_temp.mk_company('SMK-' || i, CASE WHEN i % 3 = 0 THEN 1 ELSE 0 END, CASE WHEN i = 7 THEN 'INELIGIBLE' ELSE 'ELIGIBLE' END)
  FROM generate_series(1, 12) i;
SELECT outreach.set_marketing_override('SMK-3', 'BLOCK_OUTREACH', 'pgtap', 'pgtap');

-- ---------------------------------------------------------------- the smoke test
SELECT count(*) AS audits_before FROM shq.audit_log WHERE event_type = 'SMOKE_TEST' \gset
SELECT count(*) AS gate_before FROM outreach.send_attempt_audit \gset
CREATE TEMP TABLE smoke AS SELECT * FROM shq.fn_run_smoke_test(8);
SELECT is((SELECT count(*)::int FROM smoke), 8, 'fn_run_smoke_test(8): eight rows');
SELECT is((SELECT count(DISTINCT company_unique_id)::int FROM smoke), 8, '... of eight different companies');
SELECT is((SELECT count(*)::int FROM smoke s JOIN outreach.outreach o USING (company_unique_id)), 8, '... all in the spine');
SELECT is((SELECT count(*)::int FROM smoke s JOIN outreach.vw_sovereign_completion c USING (company_unique_id)
            WHERE c.completion_status IS DISTINCT FROM s.completion_status), 0,
          'completion_status is vw_sovereign_completion''s');
SELECT is((SELECT count(*)::int FROM smoke s JOIN outreach.vw_marketing_eligibility_with_overrides e USING (company_unique_id)
            WHERE e.effective_tier IS DISTINCT FROM s.effective_tier), 0,
          'effective_tier is the authoritative view''s');
SELECT is((SELECT count(*)::int FROM smoke WHERE is_eligible = (block_reason IS NOT NULL)), 0,
          'a verdict is eligible exactly when it has no block reason');
SELECT is((SELECT count(*)::int FROM smoke s JOIN outreach.vw_marketing_eligibility_with_overrides e USING (company_unique_id)
            WHERE s.is_eligible <> (e.effective_tier >= 1 AND NOT e.marketing_disabled AND NOT e.email_blocked
                                    AND e.eligibility_status = 'ELIGIBLE'
                                    AND e.outreach_status IS DISTINCT FROM 'opted_out')), 0,
          'the verdicts are those of the gate for an active EMAIL campaign with min_tier 1');
SELECT is((SELECT count(*)::int FROM shq.audit_log WHERE event_type = 'SMOKE_TEST') - :audits_before, 1,
          'one SMOKE_TEST audit row per run');
SELECT results_eq($$SELECT (details ->> 'sample_size')::int, (details ->> 'checked')::int, jsonb_array_length(details -> 'results'),
                           (details ->> 'dry_run')::boolean, actor = session_user, correlation_id LIKE 'SMOKE-%'
                      FROM shq.audit_log WHERE event_type = 'SMOKE_TEST' ORDER BY audit_id DESC LIMIT 1$$,
                  $$VALUES (8, 8, 8, true, true, true)$$, '... holding the sample size, every verdict, the actor and a correlation id');
SELECT is((SELECT count(*)::int FROM outreach.send_attempt_audit) - :gate_before, 8, 'the gate ran once per company ...');
SELECT is((SELECT count(*)::int FROM outreach.send_attempt_audit
            WHERE campaign_id = 'SMOKE-TEST' AND is_dry_run AND correlation_id LIKE 'SMOKE-%'), 8,
          '... as dry runs against the SMOKE-TEST campaign');
SELECT is((SELECT count(*)::int FROM shq.fn_run_smoke_test(50)), LEAST(50, (SELECT spine FROM before) + 12),
          'a sample larger than the spine returns every company once (else as many as asked for)');
SELECT is((SELECT count(*)::int FROM shq.fn_run_smoke_test()), 5, 'the default sample is 5');
SELECT results_eq($$SELECT campaign_id, channel, min_tier, status FROM outreach.campaigns WHERE campaign_id = 'SMOKE-TEST'$$,
                  $$VALUES ('SMOKE-TEST'::text, 'EMAIL'::text, 1, 'active'::text)$$, 'the SMOKE-TEST campaign (migration 0601)');
SELECT is((SELECT count(*)::int FROM outreach.sequences WHERE campaign_id = 'SMOKE-TEST'), 0,
          '... has no steps, so campaign planning never selects it');

SELECT throws_ok($$SELECT * FROM shq.fn_run_smoke_test(0)$$, '22023', NULL, 'sample size 0: 22023');
SELECT throws_ok($$SELECT * FROM shq.fn_run_smoke_test(-1)$$, '22023', NULL, 'negative sample size: 22023');
SELECT throws_ok($$SELECT * FROM shq.fn_run_smoke_test(NULL)$$, '22023', NULL, 'NULL sample size: 22023');
SELECT throws_ok($$SELECT * FROM shq.fn_run_smoke_test(1001)$$, '22023', NULL, 'over 1000: 22023');

-- ---------------------------------------------------------------- the state document
SELECT results_eq(
    $$SELECT (s -> 'companies' ->> 'total')::int, (s -> 'companies' ->> 'ineligible')::int,
             (SELECT (r ->> 'rows')::int FROM jsonb_array_elements(s -> 'row_counts') r WHERE r ->> 'table' = 'outreach.company_hub_status'),
             (s -> 'overrides' ->> 'active')::int, (s -> 'overrides' -> 'by_type' ->> 'BLOCK_OUTREACH')::int
        FROM shq.fn_live_system_state() s$$,
    $$SELECT pg_temp.before('{companies,total}') + 12, pg_temp.before('{companies,ineligible}') + 1,
             (SELECT count(*)::int FROM outreach.company_hub_status), pg_temp.before('{overrides,active}') + 1,
             pg_temp.before('{overrides,by_type,BLOCK_OUTREACH}') + 1$$,
    'the state counts companies, ineligible ones, hub status rows and active overrides by type');
SELECT is((SELECT sum((t ->> 'companies')::int)::int FROM jsonb_array_elements(shq.fn_live_system_state() -> 'tier_distribution') t),
          pg_temp.before('{companies,total}') + 12, 'its tier distribution covers every company');
SELECT results_eq(
    $$SELECT (s -> 'send_attempts_24h' ->> 'attempts')::int, (s -> 'send_attempts_24h' ->> 'dry_runs')::int
        FROM shq.fn_live_system_state() s$$,
    $$SELECT count(*)::int, count(*) FILTER (WHERE is_dry_run)::int FROM outreach.send_attempt_audit
       WHERE attempt_timestamp > now() - interval '24 hours'$$,
    'it counts the gate checks of the last 24 h');
DROP VIEW outreach.vw_tier_distribution;
SELECT is(shq.fn_live_system_state() -> 'tier_distribution', 'null'::jsonb, 'a section whose view is missing is null (n/a) ...');
SELECT is((shq.fn_live_system_state() -> 'companies' ->> 'total')::int, pg_temp.before('{companies,total}') + 12,
          '... and the others are still there');
SELECT function_privs_are('shq', 'fn_run_smoke_test', ARRAY['integer'], 'outreach_reader', ARRAY[]::text[],
                          'the reader may not run the smoke test (it writes audit rows)');

SELECT * FROM finish();
ROLLBACK;
