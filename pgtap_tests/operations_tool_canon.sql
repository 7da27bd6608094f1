-- Tool canon guard: the seeded catalogue, every violation code in
-- the stated order (first failing rule wins), every violation logged once in
-- the append-only shq.tool_violations, a valid call logs nothing; roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(52);

-- ---------------------------------------------------------------- helpers
CREATE FUNCTION pg_temp.v(p_tool text, p_hub text, p_itype text, p_gate jsonb DEFAULT '{}',
                          p_key boolean DEFAULT true, p_ref text DEFAULT NULL)
RETURNS text LANGUAGE sql AS $f$
    SELECT coalesce(v.violation_code, 'VALID') || '/' || coalesce(v.severity, '-') || '/' || coalesce(v.disposition, '-')
      FROM shq.fn_validate_tool_invocation(p_tool, p_hub, p_itype, p_gate, p_key, p_ref) v;
$f$;
CREATE FUNCTION pg_temp.logged() RETURNS integer LANGUAGE sql AS $f$ SELECT count(*)::int FROM shq.tool_violations $f$;

-- A tool that fails nothing unless a test says so: key, gate and approval required.
INSERT INTO shq.tool_registry (tool_id, tool_name, vendor, tier, allowed_hubs, allowed_interactions,
                               required_gate_state, requires_api_key, requires_human_approval, is_banned) VALUES
    ('TOOL-950', 'pgtap strict tool', 'pgtap', 'TIER_2', '{company-target,dol-filings}', '{READ,ENRICH}',
     '{"domain_verified": true, "mx_present": true, "plan": {"level": 2}}', true, true, false),
    ('TOOL-951', 'pgtap banned tool', 'pgtap-banned', 'TIER_0', '{company-target}', '{READ}', '{}', true, true, true),
    ('TOOL-952', 'pgtap plain tool', 'pgtap', 'TIER_0', '{company-target}', '{READ}', '{}', false, false, false);

-- ---------------------------------------------------------------- the catalogue
SELECT is((SELECT count(*)::int FROM shq.tool_registry WHERE tool_id BETWEEN 'TOOL-001' AND 'TOOL-099'), 10,
          'the catalogue seeds ten tools TOOL-001..TOOL-010');
SELECT set_eq($$SELECT DISTINCT tier FROM shq.tool_registry WHERE tool_id <= 'TOOL-099'$$,
              ARRAY['TIER_0', 'TIER_1', 'TIER_2'], '... in the free, cheap and surgical tiers');
SELECT is((SELECT count(*)::int FROM shq.tool_registry WHERE tool_id <= 'TOOL-099' AND is_banned), 1,
          '... with one banned vendor');
SELECT is((SELECT count(*)::int FROM shq.tool_registry WHERE tool_id <= 'TOOL-099' AND requires_human_approval), 1,
          '... and one tool that needs human approval');
SELECT is((SELECT count(*)::int FROM shq.tool_registry r
            WHERE r.tool_id <= 'TOOL-099'
              AND NOT (r.allowed_hubs <@ ARRAY(SELECT h.hub_id FROM outreach.hub_registry h))), 0,
          '... whose allowed hubs are all hubs of outreach.hub_registry');
SELECT is(pg_temp.v('TOOL-008', 'company-target', 'ENRICH', '{"domain_verified": true, "mx_present": true}'),
          'VALID/-/-', 'the contract''s example: TOOL-008 ENRICH for company-target with its gates is valid');
SELECT is(pg_temp.v('TOOL-010', 'people-intelligence', 'READ'), 'V-TOOL-002/CRITICAL/PARK', 'the banned vendor is refused');
SELECT is(pg_temp.v('TOOL-009', 'people-intelligence', 'ENRICH', '{"domain_verified": true, "slot_identified": true}'),
          'V-GATE-002/CRITICAL/PARK', 'the approval tool without a reference is refused');
SELECT is(pg_temp.v('TOOL-009', 'people-intelligence', 'ENRICH', '{"domain_verified": true, "slot_identified": true}',
                    true, 'CHG-1234'),
          'VALID/-/-', '... and allowed with one');

-- ---------------------------------------------------------------- valid calls log nothing
SELECT pg_temp.logged() AS before_valid \gset
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ',
                    '{"domain_verified": true, "mx_present": true, "plan": {"level": 2}, "extra": 1}', true, 'APR-1'),
          'VALID/-/-', 'every rule met (extra gate keys are fine): valid');
SELECT is((SELECT message FROM shq.fn_validate_tool_invocation('TOOL-952', 'company-target', 'READ')) IS NOT NULL, true,
          '... with a message');
SELECT is(pg_temp.v('TOOL-952', 'company-target', 'READ', NULL, NULL, NULL), 'VALID/-/-',
          'a tool needing no key, gate or approval is valid with NULL gate state, key flag and reference');
SELECT is(pg_temp.logged(), :before_valid, 'valid calls append nothing to shq.tool_violations');

-- ---------------------------------------------------------------- each code, logged once
SELECT pg_temp.logged() AS n0 \gset
SELECT is(pg_temp.v('TOOL-404', 'company-target', 'READ'), 'V-TOOL-001/CRITICAL/PARK', 'V-TOOL-001: not in the registry');
SELECT is(pg_temp.v('not a tool id', 'company-target', 'READ'), 'V-TOOL-001/CRITICAL/PARK', '... any unknown text');
SELECT is(pg_temp.v(NULL, 'company-target', 'READ'), 'V-TOOL-001/CRITICAL/PARK', '... NULL tool id');
SELECT is(pg_temp.v('  ', 'company-target', 'READ'), 'V-TOOL-001/CRITICAL/PARK', '... blank tool id');
SELECT is(pg_temp.v('TOOL-951', 'company-target', 'READ'), 'V-TOOL-002/CRITICAL/PARK', 'V-TOOL-002: banned');
SELECT is(pg_temp.v('TOOL-950', 'people-intelligence', 'READ'), 'V-SCOPE-001/CRITICAL/PARK', 'V-SCOPE-001: hub not allowed');
SELECT is(pg_temp.v('TOOL-950', 'HUB-COMPANY-TARGET', 'READ'), 'V-SCOPE-001/CRITICAL/PARK', '... an unknown hub name is simply not allowed');
SELECT is(pg_temp.v('TOOL-950', NULL, 'READ'), 'V-SCOPE-001/CRITICAL/PARK', '... nor a NULL hub');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'WRITE'), 'V-TYPE-001/HIGH/PARK', 'V-TYPE-001: interaction not allowed');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'read'), 'V-TYPE-001/HIGH/PARK', '... interaction types are exact (upper case)');
SELECT is(pg_temp.v('TOOL-950', 'company-target', NULL), 'V-TYPE-001/HIGH/PARK', '... NULL interaction');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ', '{}', false), 'V-TOOL-003/HIGH/RETRY', 'V-TOOL-003: API key missing');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ', '{}', NULL), 'V-TOOL-003/HIGH/RETRY', '... NULL counts as missing');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ', '{"domain_verified": true}', true, 'APR-1'),
          'V-GATE-001/CRITICAL/RETRY', 'V-GATE-001: a required gate key absent');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ', '{"domain_verified": true, "mx_present": false, "plan": {"level": 2}}',
                    true, 'APR-1'),
          'V-GATE-001/CRITICAL/RETRY', '... or different');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ', '{"domain_verified": "true", "mx_present": true, "plan": {"level": 2}}',
                    true, 'APR-1'),
          'V-GATE-001/CRITICAL/RETRY', '... a string "true" is not the boolean true');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ', '{"domain_verified": true, "mx_present": true, "plan": {"level": 2, "x": 1}}',
                    true, 'APR-1'),
          'V-GATE-001/CRITICAL/RETRY', '... nested values must be equal, not merely contain the required one');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ', '[true]', true, 'APR-1'),
          'V-GATE-001/CRITICAL/RETRY', '... a gate state that is not an object has no keys');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ', '{"domain_verified": true, "mx_present": true, "plan": {"level": 2}}'),
          'V-GATE-002/CRITICAL/PARK', 'V-GATE-002: approval required and no reference');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ', '{"domain_verified": true, "mx_present": true, "plan": {"level": 2}}',
                    true, '   '),
          'V-GATE-002/CRITICAL/PARK', '... a blank reference is none');
SELECT is(pg_temp.logged(), :n0 + 20, 'every one of the 20 violations above was appended once');

-- ---------------------------------------------------------------- order: first failing rule wins
SELECT is(pg_temp.v('TOOL-951', 'nowhere', 'WRITE', '{}', false), 'V-TOOL-002/CRITICAL/PARK', 'banned before scope, type, key');
SELECT is(pg_temp.v('TOOL-950', 'nowhere', 'WRITE', '{}', false), 'V-SCOPE-001/CRITICAL/PARK', 'scope before type, key, gate');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'WRITE', '{}', false), 'V-TYPE-001/HIGH/PARK', 'type before key, gate');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ', '{}', false), 'V-TOOL-003/HIGH/RETRY', 'key before gate, approval');
SELECT is(pg_temp.v('TOOL-950', 'company-target', 'READ', '{}', true, NULL), 'V-GATE-001/CRITICAL/RETRY', 'gate before approval');

-- ---------------------------------------------------------------- the logged row
SELECT pg_temp.v('TOOL-950', 'dol-filings', 'ENRICH', '{"k": 1}', false, 'REF-9');
SELECT results_eq(
    $$SELECT tool_id, hub_id, interaction_type, violation_code, severity, disposition, gate_state, human_approval_ref,
             actor = session_user, message LIKE '%TOOL-950%'
        FROM shq.tool_violations ORDER BY violation_id DESC LIMIT 1$$,
    $$VALUES ('TOOL-950'::text, 'dol-filings'::text, 'ENRICH'::text, 'V-TOOL-003'::text, 'HIGH'::text, 'RETRY'::text,
              '{"k": 1}'::jsonb, 'REF-9'::text, true, true)$$,
    'the violation row keeps the call (tool, hub, interaction, gate state, reference), the verdict, actor and message');
SELECT is((SELECT message FROM shq.fn_validate_tool_invocation('TOOL-777', 'company-target', 'READ')),
          'tool ''TOOL-777'' is not in shq.tool_registry', 'messages name the offending value');

-- ---------------------------------------------------------------- append-only log
SELECT throws_ok($$UPDATE shq.tool_violations SET message = 'x'$$, 'OG004', NULL, 'tool_violations: UPDATE raises OG004');
SELECT throws_ok($$DELETE FROM shq.tool_violations$$, 'OG004', NULL, 'tool_violations: DELETE raises OG004');
SELECT throws_ok($$TRUNCATE shq.tool_violations$$, 'OG004', NULL, 'tool_violations: TRUNCATE raises OG004');

-- ---------------------------------------------------------------- definer, roles
SELECT is_definer('shq', 'fn_validate_tool_invocation', ARRAY['text', 'text', 'text', 'jsonb', 'boolean', 'text'],
                  'fn_validate_tool_invocation is SECURITY DEFINER (it writes the append-only log)');
SELECT function_privs_are('shq', 'fn_validate_tool_invocation', ARRAY['text', 'text', 'text', 'jsonb', 'boolean', 'text'],
                          'outreach_governor', ARRAY['EXECUTE'], 'the governor may validate');
SELECT function_privs_are('shq', 'fn_validate_tool_invocation', ARRAY['text', 'text', 'text', 'jsonb', 'boolean', 'text'],
                          'outreach_reader', ARRAY[]::text[], 'the reader may not');
SELECT function_privs_are('shq', 'fn_validate_tool_invocation', ARRAY['text', 'text', 'text', 'jsonb', 'boolean', 'text'],
                          'public', ARRAY[]::text[], 'PUBLIC may not');
SELECT pg_temp.logged() AS n1 \gset
SET LOCAL ROLE outreach_governor;
SELECT is((SELECT violation_code FROM shq.fn_validate_tool_invocation('TOOL-404', 'company-target', 'READ')), 'V-TOOL-001',
          'as outreach_governor: a violation is reported ...');
RESET ROLE;
SELECT is(pg_temp.logged(), :n1 + 1, '... and logged, though the governor cannot insert into the log itself');
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT * FROM shq.fn_validate_tool_invocation('TOOL-001', 'company-target', 'READ')$$, '42501', NULL,
                 'as outreach_reader: 42501');
RESET ROLE;
SET LOCAL ROLE outreach_governor;
SELECT throws_ok($$INSERT INTO shq.tool_violations (violation_code, severity, disposition, message) VALUES ('X', 'LOW', 'IGNORE', 'x')$$,
                 '42501', NULL, 'the governor cannot write the violation log directly');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
