-- Hubs: every tier from -1 to 3 reached through the public
-- functions alone, each dropping back when its condition breaks; the tier
-- functions agree with the views; overrides lower and never raise.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(59);
\ir fixtures/company.sql

CREATE FUNCTION pg_temp.person(p_cid text) RETURNS bigint LANGUAGE sql AS $$
    INSERT INTO people.people_master (slot_id, target_id, outreach_id, company_unique_id, full_name, email, email_verified)
    SELECT s.slot_id, s.target_id, s.outreach_id, s.company_unique_id, 'Pat Example', 'pat@example.test', true
      FROM people.company_slot s WHERE s.company_unique_id = p_cid AND s.is_filled
     ORDER BY s.slot_id LIMIT 1
    RETURNING person_id;
$$;
-- (computed_tier, effective_tier, tier1, tier2, tier3 functions) of one company
CREATE FUNCTION pg_temp.tiers(p_cid text) RETURNS text LANGUAGE sql AS $$
    SELECT format('%s/%s/%s%s%s', v.computed_tier, v.effective_tier,
                  shq.fn_is_tier1_marketing_ready(v.outreach_id)::int,
                  shq.fn_is_tier2_enrichment_complete(v.outreach_id)::int,
                  shq.fn_is_tier3_campaign_ready(v.outreach_id)::int)
      FROM outreach.vw_marketing_eligibility_with_overrides v WHERE v.company_unique_id = p_cid;
$$;
CREATE FUNCTION pg_temp.reason(p_cid text) RETURNS text LANGUAGE sql AS $$
    SELECT tier_reason FROM outreach.vw_marketing_eligibility WHERE company_unique_id = p_cid;
$$;

-- ---------------------------------------------------------------- tier 0
SELECT pg_temp.mk_company('TT-0', 0);
SELECT is(pg_temp.tiers('TT-0'), '0/0/000', 'a fresh target is tier 0, and no tier function says otherwise');
SELECT is(pg_temp.reason('TT-0'), 'IN_PROGRESS', 'tier 0 reason IN_PROGRESS');
SELECT outreach.fn_mint_outreach_id(cl.fn_register_company('TT-SPINE-ONLY', 'Spine only', 'so.test'));
SELECT is(pg_temp.tiers('TT-SPINE-ONLY'), '0/0/000', 'a spine company with no hub rows at all is tier 0, not an error');

-- ---------------------------------------------------------------- tier -1
SELECT pg_temp.mk_company('TT-M1-CL', 0, 'INELIGIBLE');
SELECT is(pg_temp.tiers('TT-M1-CL'), '-1/-1/000', 'CL INELIGIBLE: tier -1');
SELECT is(pg_temp.reason('TT-M1-CL'), 'CL_INELIGIBLE', 'reason CL_INELIGIBLE');
SELECT pg_temp.to_tier1('TT-M1-CL');
SELECT pg_temp.to_tier2('TT-M1-CL');
SELECT pg_temp.person('TT-M1-CL');
SELECT is(pg_temp.tiers('TT-M1-CL'), '-1/-1/000', 'INELIGIBLE wins over every hub at PASS');
SELECT cl.fn_register_company('TT-M1-CL', 'Company TT-M1-CL', 'tt-m1-cl.test', 'ELIGIBLE');
SELECT is(pg_temp.tiers('TT-M1-CL'), '3/3/111', 'CL turning ELIGIBLE lifts it straight to the tier its hubs earn');

SELECT pg_temp.mk_company('TT-M1-HUB', 0);
SELECT outreach.fn_set_hub_status('TT-M1-HUB', 'dol-filings', 'FAIL', 'no filings');
SELECT is(pg_temp.tiers('TT-M1-HUB'), '-1/-1/000', 'a required hub at FAIL: tier -1');
SELECT is(pg_temp.reason('TT-M1-HUB'), 'REQUIRED_HUB_FAILED', 'reason REQUIRED_HUB_FAILED');
SELECT outreach.fn_set_hub_status('TT-M1-HUB', 'dol-filings', 'BLOCKED', 'waiting');
SELECT is(pg_temp.tiers('TT-M1-HUB'), '-1/-1/000', 'a required hub at BLOCKED: tier -1');
SELECT outreach.fn_set_hub_status('TT-M1-HUB', 'dol-filings', 'IN_PROGRESS', 'retrying');
SELECT is(pg_temp.tiers('TT-M1-HUB'), '0/0/000', 'back to IN_PROGRESS: tier 0');
SELECT outreach.fn_set_hub_status('TT-M1-HUB', 'blog-content', 'FAIL', 'no blog');
SELECT is(pg_temp.tiers('TT-M1-HUB'), '0/0/000', 'an optional hub at FAIL does not make tier -1');

-- ---------------------------------------------------------------- tier 1
SELECT pg_temp.mk_company('TT-1', 0);
SELECT pg_temp.to_tier1('TT-1');
SELECT is(pg_temp.tiers('TT-1'), '1/1/100', 'every required hub PASS: tier 1');
SELECT is(pg_temp.reason('TT-1'), 'MARKETING_READY', 'reason MARKETING_READY');
SELECT outreach.fn_set_hub_status('TT-1', 'talent-flow', 'IN_PROGRESS', 'rescan');
SELECT is(pg_temp.tiers('TT-1'), '0/0/000', 'a required hub leaving PASS drops tier 1 to 0');
SELECT outreach.fn_set_hub_status('TT-1', 'talent-flow', 'PASS', 'rescanned');
SELECT is(pg_temp.tiers('TT-1'), '1/1/100', 'and PASS again restores it');
SELECT outreach.fn_set_hub_status('TT-1', 'people-intelligence', 'FAIL', 'slots lost');
SELECT is(pg_temp.tiers('TT-1'), '-1/-1/000', 'a required hub at FAIL drops tier 1 to -1');
SELECT outreach.fn_set_hub_status('TT-1', 'people-intelligence', 'PASS', 'back');
SELECT pg_temp.person('TT-1');
SELECT is(pg_temp.tiers('TT-1'), '1/1/100', 'a verified person alone does not skip tier 2');

-- ---------------------------------------------------------------- tier 2
SELECT pg_temp.mk_company('TT-2', 0);
SELECT pg_temp.to_tier1('TT-2');
SELECT pg_temp.to_tier2('TT-2');
SELECT is(pg_temp.tiers('TT-2'), '2/2/110', 'every hub PASS: tier 2');
SELECT is(pg_temp.reason('TT-2'), 'ENRICHMENT_COMPLETE', 'reason ENRICHMENT_COMPLETE');
SELECT outreach.fn_set_hub_status('TT-2', 'bit-engine', 'IN_PROGRESS', 'stale');
SELECT is(pg_temp.tiers('TT-2'), '1/1/100', 'an optional hub leaving PASS drops tier 2 to 1');
SELECT outreach.fn_set_hub_status('TT-2', 'bit-engine', 'PASS', 'fresh');
SELECT is(pg_temp.tiers('TT-2'), '2/2/110', 'PASS again: tier 2');

-- ---------------------------------------------------------------- tier 3
SELECT pg_temp.person('TT-2');
SELECT is(pg_temp.tiers('TT-2'), '3/3/111', 'tier 2 plus a verified person in a filled slot: tier 3');
SELECT is(pg_temp.reason('TT-2'), 'CAMPAIGN_READY', 'reason CAMPAIGN_READY');
UPDATE people.people_master SET email_verified = false WHERE company_unique_id = 'TT-2';
SELECT is(pg_temp.tiers('TT-2'), '2/2/110', 'the email losing its verification drops tier 3 to 2');
UPDATE people.people_master SET email_verified = true WHERE company_unique_id = 'TT-2';
SELECT is(pg_temp.tiers('TT-2'), '3/3/111', 'verified again: tier 3');
UPDATE people.company_slot SET is_filled = false WHERE company_unique_id = 'TT-2';
SELECT is(pg_temp.tiers('TT-2'), '2/2/110', 'the slot no longer filled drops tier 3 to 2');
UPDATE people.company_slot SET is_filled = true WHERE company_unique_id = 'TT-2';
INSERT INTO people.people_master (target_id, outreach_id, company_unique_id, full_name, email_verified)
SELECT target_id, outreach_id, company_unique_id, 'Unseated', true FROM outreach.company_target WHERE company_unique_id = 'TT-2';
UPDATE people.people_master SET email_verified = false WHERE company_unique_id = 'TT-2' AND slot_id IS NOT NULL;
SELECT is(pg_temp.tiers('TT-2'), '2/2/110', 'a verified person without a slot does not count');
UPDATE people.people_master SET email_verified = true WHERE company_unique_id = 'TT-2';
SELECT outreach.fn_set_hub_status('TT-2', 'dol-filings', 'BLOCKED', 'audit');
SELECT is(pg_temp.tiers('TT-2'), '-1/-1/000', 'a required hub BLOCKED drops tier 3 to -1');
SELECT outreach.fn_set_hub_status('TT-2', 'dol-filings', 'PASS', 'cleared');
SELECT is(pg_temp.tiers('TT-2'), '3/3/111', 'cleared: tier 3 again');
SELECT cl.fn_register_company('TT-2', 'Company TT-2', 'tt-2.test', 'INELIGIBLE');
SELECT is(pg_temp.tiers('TT-2'), '-1/-1/000', 'CL turning INELIGIBLE drops tier 3 to -1');
SELECT cl.fn_register_company('TT-2', 'Company TT-2', 'tt-2.test', 'ELIGIBLE');

-- ---------------------------------------------------------------- overrides: lower, never raise
SELECT outreach.set_marketing_override('TT-2', 'FORCE_TIER', 'pgtap cap', 'pgtap', 1, NULL);
SELECT is(pg_temp.tiers('TT-2'), '3/1/111', 'FORCE_TIER cap 1 lowers effective_tier; computed and the tier functions keep 3');
SELECT outreach.set_marketing_override('TT-1', 'FORCE_TIER', 'pgtap cap', 'pgtap', 3, NULL);
SELECT is(pg_temp.tiers('TT-1'), '1/1/100', 'a cap above the computed tier does not raise it');
SELECT outreach.set_marketing_override('TT-M1-HUB', 'FORCE_TIER', 'pgtap cap', 'pgtap', 3, NULL);
SELECT outreach.fn_set_hub_status('TT-M1-HUB', 'talent-flow', 'FAIL', 'x');
SELECT is(pg_temp.tiers('TT-M1-HUB'), '-1/-1/000', 'tier -1 stays -1 whatever the cap');
SELECT outreach.set_marketing_override('TT-1', 'FORCE_TIER', 'pgtap cap', 'pgtap', -1, NULL);
SELECT is(pg_temp.tiers('TT-1'), '1/-1/100', 'a cap of -1 forces -1');
SELECT outreach.remove_marketing_override('TT-1', 'FORCE_TIER', 'pgtap done', 'pgtap');
SELECT is(pg_temp.tiers('TT-1'), '1/1/100', 'a removed override no longer applies');
SELECT outreach.set_marketing_override('TT-1', 'BLOCK_EMAIL', 'pgtap', 'pgtap', NULL, now() + interval '1 hour');
SELECT results_eq(
    $$SELECT marketing_disabled, email_blocked, phone_blocked, has_active_override, active_override_types
        FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'TT-1'$$,
    $$VALUES (false, true, false, true, '{BLOCK_EMAIL}'::text[])$$, 'BLOCK_EMAIL blocks email only');
SELECT outreach.set_marketing_override('TT-1', 'BLOCK_OUTREACH', 'pgtap', 'pgtap', NULL, NULL);
SELECT results_eq(
    $$SELECT marketing_disabled, email_blocked, phone_blocked, has_active_override, active_override_types, effective_tier
        FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'TT-1'$$,
    $$VALUES (true, true, true, true, '{BLOCK_EMAIL,BLOCK_OUTREACH}'::text[], 1)$$,
    'BLOCK_OUTREACH disables marketing and blocks both channels (the tier is not changed by it)');
SELECT results_eq(
    $$SELECT marketing_disabled, email_blocked, phone_blocked, has_active_override, active_override_types
        FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'TT-0'$$,
    $$VALUES (false, false, false, false, '{}'::text[])$$, 'no override: nothing blocked, an empty type list');

-- ---------------------------------------------------------------- agreement, shape, distribution
SELECT is((SELECT count(*) FROM outreach.vw_marketing_eligibility_with_overrides v
            WHERE shq.fn_is_tier1_marketing_ready(v.outreach_id) <> (v.computed_tier >= 1)
               OR shq.fn_is_tier2_enrichment_complete(v.outreach_id) <> (v.computed_tier >= 2)
               OR shq.fn_is_tier3_campaign_ready(v.outreach_id) <> (v.computed_tier >= 3)), 0::bigint,
          'fn_is_tier1/2/3 agree with computed_tier for every company');
SELECT is((SELECT count(*) FROM outreach.vw_marketing_eligibility_with_overrides), (SELECT count(*) FROM outreach.outreach),
          'the authoritative view has one row per spine company');
SELECT is((SELECT count(*) FROM outreach.vw_marketing_eligibility), (SELECT count(*) FROM outreach.outreach),
          'vw_marketing_eligibility has one row per spine company');
SELECT set_eq($$SELECT company_unique_id, computed_tier, tier_reason FROM outreach.vw_marketing_eligibility$$,
              $$SELECT company_unique_id, computed_tier, tier_reason FROM outreach.vw_marketing_eligibility_with_overrides$$,
              'the two eligibility views agree on computed_tier');
SELECT columns_are('outreach', 'vw_marketing_eligibility',
    ARRAY['company_unique_id', 'outreach_id', 'eligibility_status', 'outreach_status', 'computed_tier', 'tier_reason',
          'bit_score', 'score_tier'], 'vw_marketing_eligibility has exactly the contract''s columns');
SELECT columns_are('outreach', 'vw_marketing_eligibility_with_overrides',
    ARRAY['company_unique_id', 'outreach_id', 'eligibility_status', 'outreach_status', 'computed_tier', 'tier_reason',
          'bit_score', 'score_tier', 'effective_tier', 'marketing_disabled', 'email_blocked', 'phone_blocked',
          'has_active_override', 'active_override_types'], 'the authoritative view has exactly the contract''s columns');
SELECT col_type_is('outreach', 'vw_marketing_eligibility_with_overrides', 'computed_tier', 'integer', 'computed_tier is int');
SELECT col_type_is('outreach', 'vw_marketing_eligibility_with_overrides', 'effective_tier', 'integer', 'effective_tier is int');
SELECT col_type_is('outreach', 'vw_marketing_eligibility_with_overrides', 'active_override_types', 'text[]', 'types are text[]');
SELECT isnt((SELECT bit_score FROM outreach.vw_marketing_eligibility WHERE company_unique_id = 'TT-2'), NULL,
            'bit_score comes from outreach.bit_scores');
SELECT is((SELECT score_tier FROM outreach.vw_marketing_eligibility WHERE company_unique_id = 'TT-0'), NULL,
          'no BIT score: NULL score_tier');
SELECT is((SELECT outreach_status FROM outreach.vw_marketing_eligibility WHERE company_unique_id = 'TT-SPINE-ONLY'), NULL,
          'no target: NULL outreach_status');
SELECT is((SELECT sum(companies) FROM outreach.vw_tier_distribution), (SELECT count(*) FROM outreach.outreach)::numeric,
          'vw_tier_distribution counts every spine company once');
-- Each share is rounded to two decimals, so their sum is 100 only up to half
-- a hundredth per tier (10k companies in three tiers can sum to 100.01).
SELECT ok((SELECT abs(sum(pct) - 100) <= 0.005 * count(*) FROM outreach.vw_tier_distribution),
          'percentages add up to 100, up to each tier''s rounding');
SELECT results_eq(
    $$SELECT effective_tier, companies FROM outreach.vw_tier_distribution ORDER BY 1$$,
    $$SELECT effective_tier, count(*) FROM outreach.vw_marketing_eligibility_with_overrides GROUP BY 1 ORDER BY 1$$,
    'vw_tier_distribution groups the authoritative view by effective_tier');
SELECT is(shq.fn_is_tier1_marketing_ready(NULL), false, 'tier functions: false for NULL');
SELECT is(shq.fn_is_tier3_campaign_ready('00000000-0000-0000-0000-000000000000'), false, 'tier functions: false for an unknown id');

-- ---------------------------------------------------------------- reader
SET LOCAL ROLE outreach_reader;
SELECT is((SELECT effective_tier FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'TT-2'), 1,
          'reader reads the authoritative view');
SELECT lives_ok($$SELECT * FROM outreach.vw_tier_distribution$$, 'reader reads vw_tier_distribution');
SELECT throws_ok($$SELECT * FROM outreach.company_hub_status$$, '42501', NULL, 'reader cannot read the raw hub status table');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
