-- Safety gate: every block reason, the precedence shown by
-- stacking two conditions, channel-specific blocks, fail-closed inputs, one
-- audit row per call (dry runs and internal failures included: the
-- authoritative view is made to fail on purpose), and the roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(69);
\ir fixtures/company.sql
\ir fixtures/broken_eligibility_view.sql

-- ---------------------------------------------------------------- helpers
CREATE FUNCTION pg_temp.opt_out(p_cid text) RETURNS void LANGUAGE sql AS $f$
    SELECT outreach.fn_set_outreach_status(t.target_id, 'opted_out', 'pgtap') FROM outreach.company_target t
     WHERE t.company_unique_id = p_cid;
$f$;
-- the verdict as 'is_eligible/block_reason'
CREATE FUNCTION pg_temp.v(p_cid text, p_campaign text, p_channel text DEFAULT 'EMAIL') RETURNS text LANGUAGE sql AS $f$
    SELECT g.is_eligible::text || '/' || coalesce(g.block_reason, '-')
      FROM outreach.fn_safety_gate_check(p_cid, p_campaign, 'pgtap-corr', p_channel, false) g;
$f$;
CREATE FUNCTION pg_temp.audits() RETURNS integer LANGUAGE sql AS $f$ SELECT count(*)::int FROM outreach.send_attempt_audit $f$;

-- ---------------------------------------------------------------- data
SELECT pg_temp.mk_company(c) FROM unnest(ARRAY['GT-OK', 'GT-DRY', 'GT-BO', 'GT-BE', 'GT-BP', 'GT-OPT', 'GT-FT0', 'GT-FTM1',
    'GT-FT3', 'GT-BOBE', 'GT-BEOPT', 'GT-OPTMIN', 'GT-BOOPT', 'GT-FAILBO', 'GT-VIEW']) AS c;
SELECT pg_temp.mk_company('GT-T0', 0);
SELECT pg_temp.mk_company('GT-T2', 2);
SELECT pg_temp.mk_company('GT-INEL', 1, 'INELIGIBLE');
SELECT pg_temp.mk_company('GT-INELBO', 1, 'INELIGIBLE');
SELECT pg_temp.mk_company('GT-FAIL');
SELECT outreach.fn_set_hub_status(c, 'dol-filings', 'FAIL', 'pgtap') FROM unnest(ARRAY['GT-FAIL', 'GT-FAILBO']) AS c;
SELECT outreach.set_marketing_override(c, 'BLOCK_OUTREACH', 'pgtap', 'pgtap')
  FROM unnest(ARRAY['GT-BO', 'GT-BOBE', 'GT-BOOPT', 'GT-FAILBO', 'GT-INELBO']) AS c;
SELECT outreach.set_marketing_override(c, 'BLOCK_EMAIL', 'pgtap', 'pgtap') FROM unnest(ARRAY['GT-BE', 'GT-BOBE', 'GT-BEOPT']) AS c;
SELECT outreach.set_marketing_override('GT-BP', 'BLOCK_PHONE', 'pgtap', 'pgtap');
SELECT outreach.set_marketing_override('GT-FT0', 'FORCE_TIER', 'pgtap', 'pgtap', 0);
SELECT outreach.set_marketing_override('GT-FTM1', 'FORCE_TIER', 'pgtap', 'pgtap', -1);
SELECT outreach.set_marketing_override('GT-FT3', 'FORCE_TIER', 'pgtap', 'pgtap', 3);
SELECT pg_temp.opt_out(c) FROM unnest(ARRAY['GT-OPT', 'GT-BEOPT', 'GT-OPTMIN', 'GT-BOOPT']) AS c;
SELECT outreach.fn_mint_outreach_id(cl.fn_register_company('GT-SPINE-ONLY', 'spine only', 'spine-only.example.com'));
SELECT cl.fn_register_company('GT-CL-ONLY', 'cl only', 'cl-only.example.com');

INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status) VALUES
    ('GT-EM', 'email', 'EMAIL', 1, 'active'),
    ('GT-PH', 'phone', 'PHONE', 1, 'active'),
    ('GT-EM2', 'email tier 2', 'EMAIL', 2, 'active'),
    ('GT-EM0', 'email tier 0', 'EMAIL', 0, 'active'),
    ('GT-DRAFT', 'draft', 'EMAIL', 1, 'draft'),
    ('GT-PAUSED', 'paused', 'EMAIL', 1, 'paused'),
    ('GT-DONE', 'completed', 'EMAIL', 1, 'completed');

-- ---------------------------------------------------------------- shape
SELECT has_function('outreach', 'fn_safety_gate_check', ARRAY['text', 'text', 'text', 'text', 'boolean'], 'the gate exists');
SELECT is_definer('outreach', 'fn_safety_gate_check', ARRAY['text', 'text', 'text', 'text', 'boolean'], 'the gate is SECURITY DEFINER');
SELECT volatility_is('outreach', 'fn_safety_gate_check', ARRAY['text', 'text', 'text', 'text', 'boolean'], 'volatile',
                     'the gate is VOLATILE');

-- ---------------------------------------------------------------- a pass, audited
SELECT pg_temp.audits() AS a0 \gset
SELECT * FROM outreach.fn_safety_gate_check('GT-OK', 'GT-EM', 'corr-pass') \gset pass_
SELECT is(:'pass_is_eligible'::boolean, true, 'a tier-1 company passes an active tier-1 email campaign');
SELECT is((SELECT block_reason FROM outreach.send_attempt_audit WHERE audit_id = :'pass_audit_id'), NULL, '... with no block reason');
SELECT is(:'pass_computed_tier' || '/' || :'pass_effective_tier', '1/1', '... computed and effective tier 1');
SELECT is(pg_temp.audits(), :a0 + 1, '... and exactly one audit row');
SELECT results_eq(
    $$SELECT company_unique_id, campaign_id, correlation_id, channel, computed_tier, effective_tier, was_blocked,
             block_reason, is_dry_run, attempt_timestamp IS NOT NULL
        FROM outreach.send_attempt_audit WHERE audit_id = '$$ || :'pass_audit_id' || $$'$$,
    $$VALUES ('GT-OK'::text, 'GT-EM'::text, 'corr-pass'::text, 'EMAIL'::text, 1, 1, false, NULL::text, false, true)$$,
    'the audit row records the whole verdict');
SELECT * FROM outreach.fn_safety_gate_check('GT-DRY', 'GT-EM', 'corr-dry', 'EMAIL', true) \gset dry_
SELECT is((SELECT is_dry_run::text || was_blocked::text FROM outreach.send_attempt_audit WHERE audit_id = :'dry_audit_id'),
          'truefalse', 'a dry run is audited too, as a dry run');
SELECT is(pg_temp.v('GT-T2', 'GT-EM2'), 'true/-', 'a tier-2 company passes a tier-2 campaign');
SELECT is(pg_temp.v('GT-T0', 'GT-EM0'), 'true/-', 'a tier-0 company passes a tier-0 campaign');
SELECT is(pg_temp.v('GT-FT3', 'GT-EM'), 'true/-', 'FORCE_TIER 3 does not raise tier 1 (and does not block a tier-1 campaign)');
SELECT is((SELECT effective_tier FROM outreach.fn_safety_gate_check('GT-FT3', 'GT-EM', 'c')), 1, '... effective tier stays 1');

-- ---------------------------------------------------------------- each block reason
SELECT is(pg_temp.v('GT-OK', 'GT-NO-SUCH'), 'false/ELIGIBILITY_CHECK_FAILED', 'unknown campaign: ELIGIBILITY_CHECK_FAILED');
SELECT is(pg_temp.v('GT-OK', 'GT-DRAFT'), 'false/CAMPAIGN_NOT_ACTIVE', 'draft campaign: CAMPAIGN_NOT_ACTIVE');
SELECT is(pg_temp.v('GT-OK', 'GT-PAUSED'), 'false/CAMPAIGN_NOT_ACTIVE', 'paused campaign: CAMPAIGN_NOT_ACTIVE');
SELECT is(pg_temp.v('GT-OK', 'GT-DONE'), 'false/CAMPAIGN_NOT_ACTIVE', 'completed campaign: CAMPAIGN_NOT_ACTIVE');
SELECT is(pg_temp.v('GT-INEL', 'GT-EM'), 'false/COMPANY_INELIGIBLE', 'CL INELIGIBLE: COMPANY_INELIGIBLE');
SELECT is(pg_temp.v('GT-FAIL', 'GT-EM'), 'false/INELIGIBLE_TIER', 'a required hub FAIL: INELIGIBLE_TIER');
SELECT is(pg_temp.v('GT-FTM1', 'GT-EM0'), 'false/INELIGIBLE_TIER', 'FORCE_TIER -1: INELIGIBLE_TIER');
SELECT is(pg_temp.v('GT-BO', 'GT-EM'), 'false/MARKETING_DISABLED', 'BLOCK_OUTREACH: MARKETING_DISABLED');
SELECT is(pg_temp.v('GT-BE', 'GT-EM'), 'false/BLOCKING_OVERRIDE', 'BLOCK_EMAIL on an email campaign: BLOCKING_OVERRIDE');
SELECT is(pg_temp.v('GT-BP', 'GT-PH', 'PHONE'), 'false/BLOCKING_OVERRIDE', 'BLOCK_PHONE on a phone campaign: BLOCKING_OVERRIDE');
SELECT is(pg_temp.v('GT-OPT', 'GT-EM'), 'false/OPTED_OUT', 'opted_out target: OPTED_OUT');
SELECT is(pg_temp.v('GT-OK', 'GT-EM2'), 'false/TIER_BELOW_CAMPAIGN_MINIMUM', 'tier 1 in a tier-2 campaign: TIER_BELOW_CAMPAIGN_MINIMUM');
SELECT is(pg_temp.v('GT-T0', 'GT-EM'), 'false/TIER_BELOW_CAMPAIGN_MINIMUM', 'tier 0 in a tier-1 campaign: TIER_BELOW_CAMPAIGN_MINIMUM');
SELECT is(pg_temp.v('GT-FT0', 'GT-EM'), 'false/TIER_BELOW_CAMPAIGN_MINIMUM', 'FORCE_TIER 0 lowers tier 1 below the minimum');

-- ---------------------------------------------------------------- channels
SELECT is(pg_temp.v('GT-BE', 'GT-PH', 'PHONE'), 'true/-', 'BLOCK_EMAIL does not block a phone campaign');
SELECT is(pg_temp.v('GT-BP', 'GT-EM'), 'true/-', 'BLOCK_PHONE does not block an email campaign');
SELECT is(pg_temp.v('GT-BO', 'GT-PH', 'PHONE'), 'false/MARKETING_DISABLED', 'BLOCK_OUTREACH blocks phone too');
SELECT is(pg_temp.v('GT-OK', 'GT-EM', 'PHONE'), 'false/ELIGIBILITY_CHECK_FAILED', 'a channel other than the campaign''s fails closed');
SELECT is(pg_temp.v('GT-OK', 'GT-PH', 'EMAIL'), 'false/ELIGIBILITY_CHECK_FAILED', '... either way round');

-- ---------------------------------------------------------------- precedence: two conditions stacked
SELECT is(pg_temp.v('GT-NOPE', 'GT-DRAFT'), 'false/ELIGIBILITY_CHECK_FAILED', 'unknown company + draft campaign: ELIGIBILITY_CHECK_FAILED first');
SELECT is(pg_temp.v('GT-OK', 'GT-PAUSED', 'SMS'), 'false/ELIGIBILITY_CHECK_FAILED', 'bad channel + paused campaign: ELIGIBILITY_CHECK_FAILED first');
SELECT is(pg_temp.v('GT-INEL', 'GT-NO-SUCH'), 'false/ELIGIBILITY_CHECK_FAILED', 'unknown campaign + ineligible: ELIGIBILITY_CHECK_FAILED first');
SELECT is(pg_temp.v('GT-INEL', 'GT-DRAFT'), 'false/CAMPAIGN_NOT_ACTIVE', 'draft campaign + ineligible: CAMPAIGN_NOT_ACTIVE before COMPANY_INELIGIBLE');
SELECT is(pg_temp.v('GT-BO', 'GT-PAUSED'), 'false/CAMPAIGN_NOT_ACTIVE', 'paused campaign + BLOCK_OUTREACH: CAMPAIGN_NOT_ACTIVE');
SELECT is(pg_temp.v('GT-INELBO', 'GT-EM'), 'false/COMPANY_INELIGIBLE', 'ineligible + BLOCK_OUTREACH: COMPANY_INELIGIBLE');
SELECT is(pg_temp.v('GT-FAILBO', 'GT-EM'), 'false/INELIGIBLE_TIER', 'failed hub + BLOCK_OUTREACH: INELIGIBLE_TIER');
SELECT is(pg_temp.v('GT-BOBE', 'GT-EM'), 'false/MARKETING_DISABLED', 'BLOCK_OUTREACH + BLOCK_EMAIL: MARKETING_DISABLED');
SELECT is(pg_temp.v('GT-BOOPT', 'GT-EM'), 'false/MARKETING_DISABLED', 'BLOCK_OUTREACH + opted out: MARKETING_DISABLED');
SELECT is(pg_temp.v('GT-BEOPT', 'GT-EM'), 'false/BLOCKING_OVERRIDE', 'BLOCK_EMAIL + opted out: BLOCKING_OVERRIDE');
SELECT is(pg_temp.v('GT-OPTMIN', 'GT-EM2'), 'false/OPTED_OUT', 'opted out + below the minimum: OPTED_OUT');

-- ---------------------------------------------------------------- fail closed on bad or missing input, each audited
SELECT pg_temp.audits() AS a1 \gset
CREATE TEMP TABLE fc AS
SELECT c.label, g.*
  FROM (VALUES ('null company', NULL, 'GT-EM', 'c', 'EMAIL', false),
               ('blank company', '  ', 'GT-EM', 'c', 'EMAIL', false),
               ('unknown company', 'GT-NOPE', 'GT-EM', 'c', 'EMAIL', false),
               ('in CL, not in the spine', 'GT-CL-ONLY', 'GT-EM', 'c', 'EMAIL', false),
               ('spine, no Company Target', 'GT-SPINE-ONLY', 'GT-EM0', 'c', 'EMAIL', false),
               ('null campaign', 'GT-OK', NULL, 'c', 'EMAIL', false),
               ('blank campaign', 'GT-OK', '', 'c', 'EMAIL', false),
               ('null correlation', 'GT-OK', 'GT-EM', NULL, 'EMAIL', false),
               ('blank correlation', 'GT-OK', 'GT-EM', E' \t', 'EMAIL', false),
               ('bad channel', 'GT-OK', 'GT-EM', 'c', 'SMS', false),
               ('lower-case channel', 'GT-OK', 'GT-EM', 'c', 'email', false),
               ('null channel', 'GT-OK', 'GT-EM', 'c', NULL, false),
               ('null dry-run flag', 'GT-OK', 'GT-EM', 'c', 'EMAIL', NULL)
       ) AS c(label, cid, camp, corr, channel, dry)
 CROSS JOIN LATERAL outreach.fn_safety_gate_check(c.cid, c.camp, c.corr, c.channel, c.dry) g;
SELECT is((SELECT count(*)::int FROM fc), 13, 'thirteen bad calls, thirteen verdicts (none raised)');
SELECT is((SELECT string_agg(label, ', ') FROM fc WHERE is_eligible OR block_reason IS DISTINCT FROM 'ELIGIBILITY_CHECK_FAILED'),
          NULL, 'every one is ELIGIBILITY_CHECK_FAILED');
SELECT is(pg_temp.audits(), :a1 + 13, 'thirteen audit rows');
SELECT is((SELECT count(*)::int FROM fc JOIN outreach.send_attempt_audit a USING (audit_id)
            WHERE a.was_blocked AND a.block_reason = 'ELIGIBILITY_CHECK_FAILED'), 13,
          'each verdict''s audit row is blocked with ELIGIBILITY_CHECK_FAILED');
SELECT is((SELECT a.is_dry_run FROM fc JOIN outreach.send_attempt_audit a USING (audit_id) WHERE fc.label = 'null dry-run flag'),
          true, 'a NULL dry-run flag is audited as a dry run (it can never clear a send)');
SELECT is((SELECT a.company_unique_id || '|' || a.channel FROM fc JOIN outreach.send_attempt_audit a USING (audit_id)
            WHERE fc.label = 'bad channel'), 'GT-OK|SMS', 'the audit row keeps the bad input as given');
SELECT is((SELECT count(*)::int FROM outreach.fn_safety_gate_check(NULL, NULL, NULL)), 1, 'all NULL: one blocked row, no error');

-- ---------------------------------------------------------------- fail closed on an internal error
-- The authoritative view is swapped for one whose read raises; the gate must
-- give a blocked, audited verdict, not an error and not a pass.
SELECT pg_temp.break_eligibility_view('raise');
SELECT throws_ok($$SELECT * FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'GT-VIEW'$$,
                 'XX000', NULL, 'the swapped view really fails');
SELECT pg_temp.audits() AS a2 \gset
SELECT * FROM outreach.fn_safety_gate_check('GT-VIEW', 'GT-EM', 'corr-boom') \gset boom_
SELECT is(:'boom_is_eligible'::boolean || '/' || :'boom_block_reason', 'false/ELIGIBILITY_CHECK_FAILED',
          'a company that would pass is blocked ELIGIBILITY_CHECK_FAILED when the view read fails');
SELECT is(pg_temp.audits(), :a2 + 1, '... and the failed check is audited (one row)');
SELECT is((SELECT was_blocked::text || block_reason || correlation_id FROM outreach.send_attempt_audit WHERE audit_id = :'boom_audit_id'),
          'trueELIGIBILITY_CHECK_FAILEDcorr-boom', '... the audit row is the blocked verdict');
SET LOCAL ROLE outreach_sender;
SELECT is((SELECT block_reason FROM outreach.fn_safety_gate_check('GT-VIEW', 'GT-EM', 'corr-boom-2', 'EMAIL', true)),
          'ELIGIBILITY_CHECK_FAILED', 'same for the sender role, dry run');
RESET ROLE;
SELECT is(pg_temp.audits(), :a2 + 2, '... audited as well');
-- a view that answers twice for one company is broken too
SELECT pg_temp.break_eligibility_view('twice');
SELECT is(pg_temp.v('GT-VIEW', 'GT-EM'), 'false/ELIGIBILITY_CHECK_FAILED', 'two view rows for one company: ELIGIBILITY_CHECK_FAILED');
SELECT pg_temp.restore_eligibility_view();
SELECT is(pg_temp.v('GT-VIEW', 'GT-EM'), 'true/-', 'with the real view back, the same company passes');

-- ---------------------------------------------------------------- one audit row per call, always
SELECT pg_temp.audits() AS a3 \gset
SELECT pg_temp.v(c, camp, ch)
  FROM (VALUES ('GT-OK', 'GT-EM', 'EMAIL'), ('GT-BO', 'GT-EM', 'EMAIL'), ('GT-OK', 'GT-DRAFT', 'EMAIL'),
               ('GT-NOPE', 'GT-EM', 'EMAIL'), ('GT-BP', 'GT-PH', 'PHONE')) AS x(c, camp, ch);
SELECT is(pg_temp.audits(), :a3 + 5, 'five calls, passes and blocks alike, five audit rows');

-- ---------------------------------------------------------------- the audit table is append-only
SELECT throws_ok($$UPDATE outreach.send_attempt_audit SET was_blocked = false, block_reason = NULL WHERE audit_id = '$$
                 || :'boom_audit_id' || $$'$$, 'OG004', NULL, 'a blocked verdict cannot be turned into a pass (OG004)');
SELECT throws_ok($$DELETE FROM outreach.send_attempt_audit$$, 'OG004', NULL, 'audit rows cannot be deleted (OG004)');
SELECT throws_ok($$TRUNCATE outreach.send_attempt_audit CASCADE$$, 'OG004', NULL, 'the audit table cannot be truncated (OG004)');

-- ---------------------------------------------------------------- the audit order the seals rely on
-- a seal's horizon is the sequence's last value: a value cached by a backend
-- between transactions could commit below it later (docs/reference/gate.md)
SELECT is((SELECT s.seqcache FROM pg_catalog.pg_sequence s
            WHERE s.seqrelid = pg_catalog.pg_get_serial_sequence('outreach.send_attempt_audit', 'audit_seq')::regclass),
          1::bigint, 'audit_seq caches no values: every value at or below a seal''s horizon belongs to a started transaction');

-- ---------------------------------------------------------------- roles
SET LOCAL ROLE outreach_sender;
SELECT is(pg_temp.v('GT-OK', 'GT-EM'), 'true/-', 'the sender role runs the gate');
SELECT throws_ok($$INSERT INTO outreach.send_attempt_audit (company_unique_id, campaign_id, correlation_id, channel, was_blocked)
                   VALUES ('GT-BO', 'GT-EM', 'forged', 'EMAIL', false)$$, '42501', NULL,
                 'the sender cannot forge an audit row (42501)');
SELECT throws_ok($$SELECT * FROM outreach.manual_overrides$$, '42501', NULL, 'the sender cannot read the raw override table');
RESET ROLE;
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT * FROM outreach.fn_safety_gate_check('GT-OK', 'GT-EM', 'c')$$, '42501', NULL,
                 'the reader cannot run the gate (42501)');
RESET ROLE;
SET LOCAL ROLE outreach_override_admin;
SELECT throws_ok($$SELECT * FROM outreach.fn_safety_gate_check('GT-OK', 'GT-EM', 'c')$$, '42501', NULL,
                 'the override admin cannot run the gate (42501)');
RESET ROLE;

-- ---------------------------------------------------------------- the kill-switch lock
-- A verdict holds its company's lock shared until the transaction ends (the
-- calls above took it in this transaction).
SELECT ok(EXISTS (SELECT FROM pg_locks l
                   WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.mode = 'ShareLock'
                     AND l.classid = 1330053125 AND l.objid::bigint = (hashtext('GT-OK')::bigint & 4294967295)),
          'a verdict holds the company''s kill-switch lock shared until the transaction ends');

SELECT * FROM finish();
ROLLBACK;
