-- Safety gate, block_detail (docs/reference/gate.md): why a verdict failed closed, one detail per failed check, in
-- the order the gate checks them; the details of the other verdicts; the verdicts themselves unchanged.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(44);
\ir fixtures/company.sql
\ir fixtures/broken_eligibility_view.sql

-- ---------------------------------------------------------------- helpers
-- the verdict as 'is_eligible/block_reason/block_detail', and the audit row of that call agreeing with it
CREATE FUNCTION pg_temp.d(p_cid text, p_campaign text, p_corr text DEFAULT 'pgtap-detail', p_channel text DEFAULT 'EMAIL',
                          p_dry boolean DEFAULT false) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
    g record;
    a record;
BEGIN
    SELECT * INTO g FROM outreach.fn_safety_gate_check(p_cid, p_campaign, p_corr, p_channel, p_dry);
    -- (a statement of its own: the audit row is visible to the next one)
    SELECT * INTO a FROM outreach.send_attempt_audit x WHERE x.audit_id = g.audit_id;
    RETURN g.is_eligible::text || '/' || coalesce(g.block_reason, '-') || '/' || coalesce(g.block_detail, '-')
           || CASE WHEN a.block_detail IS NOT DISTINCT FROM g.block_detail AND a.block_reason IS NOT DISTINCT FROM g.block_reason
                   THEN '' ELSE ' (audit row differs)' END;
END
$f$;
-- ---------------------------------------------------------------- data
SELECT pg_temp.mk_company(c) FROM unnest(ARRAY['GBD-OK', 'GBD-BO', 'GBD-BE', 'GBD-BP', 'GBD-OPT', 'GBD-FTM1', 'GBD-FAIL',
                                              'GBD-VIEW']) AS c;
SELECT pg_temp.mk_company('GBD-T0', 0);
SELECT pg_temp.mk_company('GBD-INEL', 1, 'INELIGIBLE');
SELECT outreach.fn_set_hub_status('GBD-FAIL', 'dol-filings', 'FAIL', 'pgtap');
SELECT outreach.set_marketing_override('GBD-BO', 'BLOCK_OUTREACH', 'pgtap', 'pgtap');
SELECT outreach.set_marketing_override('GBD-BE', 'BLOCK_EMAIL', 'pgtap', 'pgtap');
SELECT outreach.set_marketing_override('GBD-BP', 'BLOCK_PHONE', 'pgtap', 'pgtap');
SELECT outreach.set_marketing_override('GBD-FTM1', 'FORCE_TIER', 'pgtap', 'pgtap', -1);
SELECT outreach.fn_set_outreach_status(t.target_id, 'opted_out', 'pgtap')
  FROM outreach.company_target t WHERE t.company_unique_id = 'GBD-OPT';
SELECT outreach.fn_mint_outreach_id(cl.fn_register_company('GBD-SPINE-ONLY', 'spine only', 'gbd-spine.example.com'));
SELECT cl.fn_register_company('GBD-CL-ONLY', 'cl only', 'gbd-cl.example.com');
INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status) VALUES
    ('GBD-EM', 'email', 'EMAIL', 1, 'active'),
    ('GBD-EM0', 'email tier 0', 'EMAIL', 0, 'active'),
    ('GBD-PH', 'phone', 'PHONE', 1, 'active'),
    ('GBD-DRAFT', 'draft', 'EMAIL', 1, 'draft'),
    ('GBD-PAUSED', 'paused', 'EMAIL', 1, 'paused');

-- ---------------------------------------------------------------- shape
SELECT has_column('outreach', 'send_attempt_audit', 'block_detail', 'send_attempt_audit has block_detail');
SELECT col_type_is('outreach', 'send_attempt_audit', 'block_detail', 'text', '... of type text');
SELECT col_is_null('outreach', 'send_attempt_audit', 'block_detail', '... nullable');
SELECT col_hasnt_default('outreach', 'send_attempt_audit', 'block_detail', '... without a default');
SELECT is((SELECT p.proargnames::text FROM pg_proc p
            WHERE p.oid = 'outreach.fn_safety_gate_check(text, text, text, text, boolean)'::regprocedure),
          '{p_company_unique_id,p_campaign_id,p_correlation_id,p_channel,p_dry_run,audit_id,is_eligible,block_reason,computed_tier,effective_tier,block_detail}',
          'the gate keeps its five arguments and five result columns, and returns block_detail last');
SELECT is((SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'outreach' AND p.proname = 'fn_safety_gate_check'), 1, 'one gate, no overload');

-- ---------------------------------------------------------------- a pass has no detail
SELECT is(pg_temp.d('GBD-OK', 'GBD-EM'), 'true/-/-', 'a pass: no detail, in the result and the audit row');

-- ---------------------------------------------------------------- ELIGIBILITY_CHECK_FAILED: which check
SELECT is(pg_temp.d(NULL, 'GBD-EM'), 'false/ELIGIBILITY_CHECK_FAILED/company id is blank', 'NULL company');
SELECT is(pg_temp.d(E' \t', 'GBD-EM'), 'false/ELIGIBILITY_CHECK_FAILED/company id is blank', 'whitespace company');
SELECT is(pg_temp.d('GBD-OK', ''), 'false/ELIGIBILITY_CHECK_FAILED/campaign id is blank', 'empty campaign');
SELECT is(pg_temp.d('GBD-OK', NULL), 'false/ELIGIBILITY_CHECK_FAILED/campaign id is blank', 'NULL campaign');
SELECT is(pg_temp.d('GBD-OK', 'GBD-EM', NULL), 'false/ELIGIBILITY_CHECK_FAILED/correlation id is blank', 'NULL correlation id');
SELECT is(pg_temp.d('GBD-OK', 'GBD-EM', '  '), 'false/ELIGIBILITY_CHECK_FAILED/correlation id is blank', 'blank correlation id');
SELECT is(pg_temp.d('GBD-OK', 'GBD-EM', 'c', 'SMS'), 'false/ELIGIBILITY_CHECK_FAILED/channel SMS is not EMAIL/PHONE', 'channel SMS');
SELECT is(pg_temp.d('GBD-OK', 'GBD-EM', 'c', 'email'), 'false/ELIGIBILITY_CHECK_FAILED/channel email is not EMAIL/PHONE',
          'lower-case channel');
SELECT is(pg_temp.d('GBD-OK', 'GBD-EM', 'c', NULL), 'false/ELIGIBILITY_CHECK_FAILED/channel NULL is not EMAIL/PHONE', 'NULL channel');
SELECT is(pg_temp.d('GBD-OK', 'GBD-EM', 'c', 'E MAIL'), 'false/ELIGIBILITY_CHECK_FAILED/channel ''E MAIL'' is not EMAIL/PHONE',
          'a channel with a space is quoted');
SELECT is(pg_temp.d('NOPE-123', 'GBD-EM'), 'false/ELIGIBILITY_CHECK_FAILED/unknown company ''NOPE-123''', 'unknown company');
SELECT is(pg_temp.d('GBD-CL-ONLY', 'GBD-EM'), 'false/ELIGIBILITY_CHECK_FAILED/unknown company ''GBD-CL-ONLY''',
          'a CL company without an outreach record is not in the view: unknown company');
SELECT is(pg_temp.d('GBD-OK', 'X'), 'false/ELIGIBILITY_CHECK_FAILED/unknown campaign ''X''', 'unknown campaign');
SELECT is(pg_temp.d('GBD-OK', 'GBD-PH', 'c', 'EMAIL'), 'false/ELIGIBILITY_CHECK_FAILED/campaign channel is PHONE, not EMAIL',
          'EMAIL asked of a PHONE campaign');
SELECT is(pg_temp.d('GBD-OK', 'GBD-EM', 'c', 'PHONE'), 'false/ELIGIBILITY_CHECK_FAILED/campaign channel is EMAIL, not PHONE',
          'PHONE asked of an EMAIL campaign');
SELECT is(pg_temp.d('GBD-OK', 'GBD-EM', 'c', 'EMAIL', NULL), 'false/ELIGIBILITY_CHECK_FAILED/dry-run flag is NULL', 'NULL dry-run flag');
SELECT matches(pg_temp.d('GBD-SPINE-ONLY', 'GBD-EM0'),
               '^false/ELIGIBILITY_CHECK_FAILED/missing data for company ''GBD-SPINE-ONLY'': .*outreach_status \(no Company Target\?\).* is NULL$',
               'a spine company without a Company Target: missing data, naming what is missing');

-- the first failed check is the one named
SELECT is(pg_temp.d(NULL, 'X', NULL, 'SMS'), 'false/ELIGIBILITY_CHECK_FAILED/company id is blank', 'everything wrong: the blank company first');
SELECT is(pg_temp.d('NOPE-123', 'X', 'c', 'SMS'), 'false/ELIGIBILITY_CHECK_FAILED/channel SMS is not EMAIL/PHONE',
          'a bad channel comes before unknown ids');
SELECT is(pg_temp.d('NOPE-123', 'X'), 'false/ELIGIBILITY_CHECK_FAILED/unknown company ''NOPE-123''',
          'unknown company and campaign: the company is named');
SELECT is(pg_temp.d('GBD-OK', 'X', 'c', 'PHONE'), 'false/ELIGIBILITY_CHECK_FAILED/unknown campaign ''X''',
          'unknown campaign before its channel');

-- ---------------------------------------------------------------- the other verdicts say which condition applied
SELECT is(pg_temp.d('GBD-OK', 'GBD-DRAFT'), 'false/CAMPAIGN_NOT_ACTIVE/campaign ''GBD-DRAFT'' is draft', 'draft campaign');
SELECT is(pg_temp.d('GBD-OK', 'GBD-PAUSED'), 'false/CAMPAIGN_NOT_ACTIVE/campaign ''GBD-PAUSED'' is paused', 'paused campaign');
SELECT is(pg_temp.d('GBD-INEL', 'GBD-EM'), 'false/COMPANY_INELIGIBLE/CL eligibility_status is INELIGIBLE', 'CL ineligible');
SELECT is(pg_temp.d('GBD-FAIL', 'GBD-EM'), 'false/INELIGIBLE_TIER/computed tier is -1: a required hub is FAIL or BLOCKED',
          'a failed required hub');
SELECT is(pg_temp.d('GBD-FTM1', 'GBD-EM'), 'false/INELIGIBLE_TIER/a FORCE_TIER override caps the tier at -1 (computed tier 1)',
          'FORCE_TIER -1');
SELECT is(pg_temp.d('GBD-BO', 'GBD-EM'), 'false/MARKETING_DISABLED/an active BLOCK_OUTREACH override', 'BLOCK_OUTREACH');
SELECT is(pg_temp.d('GBD-BE', 'GBD-EM'), 'false/BLOCKING_OVERRIDE/an active BLOCK_EMAIL override', 'BLOCK_EMAIL');
SELECT is(pg_temp.d('GBD-BP', 'GBD-PH', 'c', 'PHONE'), 'false/BLOCKING_OVERRIDE/an active BLOCK_PHONE override', 'BLOCK_PHONE');
SELECT is(pg_temp.d('GBD-BE', 'GBD-PH', 'c', 'PHONE'), 'true/-/-', 'BLOCK_EMAIL does not block a phone call');
SELECT is(pg_temp.d('GBD-OPT', 'GBD-EM'), 'false/OPTED_OUT/outreach_status is opted_out', 'opted out');
SELECT is(pg_temp.d('GBD-T0', 'GBD-EM'), 'false/TIER_BELOW_CAMPAIGN_MINIMUM/effective tier 0 is below the campaign minimum 1',
          'tier below the campaign minimum');

-- ---------------------------------------------------------------- an internal error: its SQLSTATE
SELECT pg_temp.break_eligibility_view('raise');
SELECT is(pg_temp.d('GBD-VIEW', 'GBD-EM'),
          'false/ELIGIBILITY_CHECK_FAILED/internal error XX000: view read failed on purpose (GBD-VIEW)',
          'an error inside the gate: its SQLSTATE and message');
SELECT pg_temp.break_eligibility_view('twice');
SELECT is(pg_temp.d('GBD-VIEW', 'GBD-EM'),
          'false/ELIGIBILITY_CHECK_FAILED/company ''GBD-VIEW'' is in the eligibility view more than once',
          'a view answering twice for one company');
SELECT pg_temp.restore_eligibility_view();
SELECT is(pg_temp.d('GBD-VIEW', 'GBD-EM'), 'true/-/-', 'with the real view back, the same company passes, no detail');

-- ---------------------------------------------------------------- roles and the append-only rule
SET LOCAL ROLE outreach_sender;
SELECT is((SELECT block_detail FROM outreach.fn_safety_gate_check('NOPE-123', 'GBD-EM', 'c')), 'unknown company ''NOPE-123''',
          'the sender role gets the detail too');
RESET ROLE;
SELECT throws_ok($$UPDATE outreach.send_attempt_audit SET block_detail = 'rewritten' WHERE block_detail IS NOT NULL$$,
                 'OG004', NULL, 'a recorded detail cannot be rewritten (OG004)');

SELECT * FROM finish();
ROLLBACK;
