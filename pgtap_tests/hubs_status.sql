-- Hubs: the hub registry, the sovereign company_hub_status and its
-- sanctioned writer fn_set_hub_status (PASS is a promotion: OG007),
-- fn_evaluate_hub_statuses, vw_sovereign_completion.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(82);
\ir fixtures/company.sql

CREATE FUNCTION pg_temp.st(p_cid text, p_hub text) RETURNS text LANGUAGE sql AS $$
    SELECT status FROM outreach.company_hub_status WHERE company_unique_id = p_cid AND hub_id = p_hub;
$$;
-- sub-hub data that makes the four required hubs DONE
CREATE FUNCTION pg_temp.done_required(p_cid text) RETURNS void LANGUAGE sql AS $$
    SELECT outreach.fn_update_company_target(t.target_id, 'ready', 'pattern', '{f}.{l}', 0.9, true)
      FROM outreach.company_target t WHERE t.company_unique_id = p_cid;
    INSERT INTO outreach.dol (target_id, outreach_id, company_unique_id, ein, filing_present)
    SELECT target_id, outreach_id, company_unique_id, '12-3456789', true FROM outreach.company_target WHERE company_unique_id = p_cid;
    INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type, is_filled, filled_at)
    SELECT target_id, outreach_id, company_unique_id, 'CEO', true, now() FROM outreach.company_target WHERE company_unique_id = p_cid;
    INSERT INTO outreach.talent_flow (target_id, outreach_id, company_unique_id, last_scan_at)
    SELECT target_id, outreach_id, company_unique_id, now() FROM outreach.company_target WHERE company_unique_id = p_cid;
$$;

-- ---------------------------------------------------------------- registry
SELECT results_eq(
    $$SELECT hub_id, is_required, prerequisite_hubs FROM outreach.hub_registry ORDER BY display_order$$,
    $$VALUES ('company-target'::text, true, '{}'::text[]), ('dol-filings', true, '{company-target}'),
             ('people-intelligence', true, '{company-target}'), ('talent-flow', true, '{company-target}'),
             ('blog-content', false, '{company-target}'), ('bit-engine', false, '{company-target}')$$,
    'six hubs: four required, two optional, all but company-target need company-target');
SELECT throws_ok($$UPDATE outreach.hub_registry SET is_required = false$$, 'OG005', NULL, 'hub_registry is sovereign: OG005');
SELECT throws_ok($$INSERT INTO outreach.hub_registry (hub_id, hub_name, is_required, display_order) VALUES ('x', 'x', true, 99)$$,
                 'OG005', NULL, 'no new hub outside a migration: OG005');

-- whatever other companies the database holds: promote what is promotable
-- now, so that below an evaluation of all companies changes only this file's
SELECT outreach.fn_evaluate_hub_statuses();

SELECT pg_temp.mk_company('HS-A', 0);
SELECT pg_temp.mk_company('HS-B', 0);
SELECT pg_temp.mk_company('HS-C', 0);
SELECT cl.fn_register_company('HS-CL-ONLY', 'CL only', 'clonly.test');

-- ---------------------------------------------------------------- sovereign guard (OG005), even for the superuser
CREATE TEMP TABLE chs_before AS SELECT * FROM outreach.company_hub_status;
SELECT throws_ok($$INSERT INTO outreach.company_hub_status (company_unique_id, hub_id, status) VALUES ('HS-A', 'blog-content', 'PASS')$$,
                 'OG005', NULL, 'superuser INSERT into company_hub_status: OG005');
SELECT throws_ok($$UPDATE outreach.company_hub_status SET status = 'PASS'$$, 'OG005', NULL, 'superuser UPDATE: OG005');
SELECT throws_ok($$DELETE FROM outreach.company_hub_status$$, 'OG005', NULL, 'superuser DELETE: OG005');
SELECT throws_ok($$TRUNCATE outreach.company_hub_status$$, 'OG005', NULL, 'superuser TRUNCATE: OG005');
SELECT shq.fn_sanction('outreach.company_hub_status');
SELECT throws_ok($$UPDATE outreach.company_hub_status SET status = 'PASS'$$, 'OG005', NULL,
                 'a sanction set outside a sanctioned (owner) function does not help: OG005');
SELECT shq.fn_sanction('');
SET LOCAL ROLE outreach_owner;
SELECT throws_ok($$UPDATE outreach.company_hub_status SET status = 'PASS'$$, 'OG005', NULL, 'even the owner, unsanctioned: OG005');
RESET ROLE;
SET LOCAL ROLE outreach_hub_writer;
SELECT throws_ok($$UPDATE outreach.company_hub_status SET status = 'PASS'$$, '42501', NULL, 'hub_writer has no UPDATE: 42501');
RESET ROLE;
SET LOCAL session_replication_role = replica;
SELECT throws_ok($$UPDATE outreach.company_hub_status SET status = 'PASS'$$, 'OG005', NULL,
                 'session_replication_role = replica does not skip the guard');
RESET session_replication_role;
SELECT set_eq($$SELECT * FROM outreach.company_hub_status$$, $$SELECT * FROM chs_before$$, 'no direct write changed a row');

-- ---------------------------------------------------------------- fn_set_hub_status: bad input
SELECT throws_ok($$SELECT outreach.fn_set_hub_status('HS-A', 'no-such-hub', 'IN_PROGRESS')$$, '22023', NULL, 'unknown hub: 22023');
SELECT throws_ok($$SELECT outreach.fn_set_hub_status('HS-A', NULL, 'IN_PROGRESS')$$, '22023', NULL, 'NULL hub: 22023');
SELECT throws_ok($$SELECT outreach.fn_set_hub_status('HS-A', 'dol-filings', 'DONE')$$, '22023', NULL, 'unknown status: 22023');
SELECT throws_ok($$SELECT outreach.fn_set_hub_status('HS-A', 'dol-filings', 'pass')$$, '22023', NULL, 'lower-case status: 22023');
SELECT throws_ok($$SELECT outreach.fn_set_hub_status('HS-A', 'dol-filings', NULL)$$, '22023', NULL, 'NULL status: 22023');
SELECT throws_ok($$SELECT outreach.fn_set_hub_status(NULL, 'dol-filings', 'FAIL')$$, 'OG001', NULL, 'NULL company: OG001');
SELECT throws_ok($$SELECT outreach.fn_set_hub_status(E'\t', 'dol-filings', 'FAIL')$$, 'OG001', NULL, 'blank company: OG001');
SELECT throws_ok($$SELECT outreach.fn_set_hub_status('HS-NOBODY', 'dol-filings', 'FAIL')$$, 'OG002', NULL, 'company unknown to CL: OG002');
SELECT throws_ok($$SELECT outreach.fn_set_hub_status('HS-CL-ONLY', 'dol-filings', 'FAIL')$$, 'OG002', NULL,
                 'company in CL but without an outreach record: OG002');
SELECT set_eq($$SELECT * FROM outreach.company_hub_status$$, $$SELECT * FROM chs_before$$, 'refused calls changed no row');

-- ---------------------------------------------------------------- PASS is a promotion (OG007)
SELECT throws_ok($$SELECT outreach.fn_set_hub_status('HS-A', 'company-target', 'PASS')$$, 'OG007', NULL,
                 'PASS while the DONE contract fails: OG007');
SELECT throws_like($$SELECT outreach.fn_set_hub_status('HS-A', 'company-target', 'PASS')$$, '%company-target%',
                   'the OG007 message names the hub');
SELECT is(pg_temp.st('HS-A', 'company-target'), 'IN_PROGRESS', 'the refused promotion changed nothing');
SELECT pg_temp.done_required('HS-A');
SELECT throws_ok($$SELECT outreach.fn_set_hub_status('HS-A', 'dol-filings', 'PASS')$$, 'OG007', NULL,
                 'dol DONE but its prerequisite company-target not PASS: OG007');
SELECT lives_ok($$SELECT outreach.fn_set_hub_status('HS-A', 'company-target', 'PASS', 'enriched')$$, 'PASS once the gate holds');
SELECT results_eq($$SELECT status, status_reason FROM outreach.company_hub_status WHERE company_unique_id = 'HS-A' AND hub_id = 'company-target'$$,
                  $$VALUES ('PASS'::text, 'enriched'::text)$$, 'status and reason stored');
SELECT lives_ok($$SELECT outreach.fn_set_hub_status('HS-A', 'dol-filings', 'PASS')$$, 'dol-filings PASS once company-target is PASS');
-- a blocking error stops a promotion even when DONE and prerequisites hold
INSERT INTO people.people_errors (outreach_id, failure_code, error_message) VALUES (pg_temp.oid('HS-A'), 'TIMEOUT', 'pgtap');
SELECT throws_ok($$SELECT outreach.fn_set_hub_status('HS-A', 'people-intelligence', 'PASS')$$, 'OG007', NULL,
                 'a RETRY error in people.people_errors blocks people-intelligence: OG007');
UPDATE people.people_errors SET disposition = 'RESOLVED', resolved_at = now() WHERE outreach_id = pg_temp.oid('HS-A');
SELECT lives_ok($$SELECT outreach.fn_set_hub_status('HS-A', 'people-intelligence', 'PASS')$$, 'a RESOLVED error no longer blocks');
-- non-PASS statuses need no gate, and optional hubs get a row on first write
SELECT lives_ok($$SELECT outreach.fn_set_hub_status('HS-B', 'blog-content', 'BLOCKED', 'no site')$$, 'BLOCKED needs no gate');
SELECT is(pg_temp.st('HS-B', 'blog-content'), 'BLOCKED', 'an optional hub row is created by the upsert');
SELECT outreach.fn_set_hub_status('HS-B', 'blog-content', 'IN_PROGRESS');
SELECT is((SELECT count(*) FROM outreach.company_hub_status WHERE company_unique_id = 'HS-B' AND hub_id = 'blog-content'), 1::bigint,
          'a second write updates the same row');
SELECT outreach.fn_set_hub_status('HS-A', 'company-target', 'FAIL', 'bounced domain');
SELECT is(pg_temp.st('HS-A', 'dol-filings'), 'PASS', 'demoting a prerequisite does not cascade (its dependents keep their status)');
SELECT outreach.fn_set_hub_status('HS-A', 'company-target', 'PASS', 'fixed');

-- ---------------------------------------------------------------- fn_evaluate_hub_statuses
SELECT pg_temp.done_required('HS-B');
SELECT pg_temp.done_required('HS-C');
INSERT INTO outreach.company_target_errors (outreach_id, failure_code) VALUES (pg_temp.oid('HS-C'), 'RATE_LIMIT');
SELECT throws_ok($$SELECT outreach.fn_evaluate_hub_statuses('00000000-0000-0000-0000-000000000000')$$, 'OG002', NULL,
                 'an outreach_id not in the spine: OG002');
SELECT is(outreach.fn_evaluate_hub_statuses(pg_temp.oid('HS-B')), 4,
          'one company: company-target, then the three hubs that need it, in one call');
SELECT is(pg_temp.st('HS-C', 'company-target'), 'IN_PROGRESS', 'evaluating one company touched no other');
SELECT is(outreach.fn_evaluate_hub_statuses(), 1, 'all companies: only HS-A''s talent-flow was still promotable');
SELECT is(pg_temp.st('HS-C', 'company-target'), 'IN_PROGRESS', 'a blocking company_target error holds company-target back');
SELECT is(pg_temp.st('HS-C', 'dol-filings'), 'IN_PROGRESS', '... and so its dependents');
SELECT is(outreach.fn_evaluate_hub_statuses(), 0, 'a second run changes nothing');
UPDATE outreach.company_target_errors SET disposition = 'IGNORE' WHERE outreach_id = pg_temp.oid('HS-C');
SELECT is(outreach.fn_evaluate_hub_statuses(), 4, 'once the error is IGNOREd, HS-C is promoted in one call');
SELECT outreach.fn_set_hub_status('HS-C', 'talent-flow', 'FAIL', 'scan broken');
SELECT is(outreach.fn_evaluate_hub_statuses(), 1, 'a FAIL hub whose gate passes is promoted again');
DELETE FROM outreach.talent_flow WHERE company_unique_id = 'HS-C';
SELECT is(outreach.fn_evaluate_hub_statuses(), 0, 'evaluation never demotes a PASS whose DONE data went away');
SELECT is(pg_temp.st('HS-C', 'talent-flow'), 'PASS', '... the PASS stays');

-- ---------------------------------------------------------------- vw_sovereign_completion
SELECT pg_temp.mk_company('HS-FRESH', 0);
SELECT outreach.fn_mint_outreach_id('HS-CL-ONLY');
SELECT outreach.fn_set_hub_status('HS-B', 'dol-filings', 'FAIL', 'no filings');
SELECT results_eq(
    $$SELECT company_unique_id, required_total, required_passed, optional_passed, has_failed_hub, missing_hubs, completion_status
        FROM outreach.vw_sovereign_completion WHERE company_unique_id LIKE 'HS-%' ORDER BY 1$$,
    $$VALUES ('HS-A'::text, 4, 4, 0, false, '{}'::text[], 'COMPLETE'::text),
             ('HS-B', 4, 3, 0, true, '{dol-filings}', 'BLOCKED'),
             ('HS-C', 4, 4, 0, false, '{}', 'COMPLETE'),
             ('HS-CL-ONLY', 4, 0, 0, false, '{company-target,dol-filings,people-intelligence,talent-flow}', 'IN_PROGRESS'),
             ('HS-FRESH', 4, 0, 0, false, '{company-target,dol-filings,people-intelligence,talent-flow}', 'IN_PROGRESS')$$,
    'vw_sovereign_completion: counts, missing hubs in display order, BLOCKED/COMPLETE/IN_PROGRESS');
SELECT is((SELECT count(*) FROM outreach.vw_sovereign_completion), (SELECT count(*) FROM outreach.outreach),
          'one row per spine company');
SELECT columns_are('outreach', 'vw_sovereign_completion',
    ARRAY['company_unique_id', 'outreach_id', 'required_total', 'required_passed', 'optional_passed', 'has_failed_hub',
          'missing_hubs', 'completion_status'], 'vw_sovereign_completion has exactly the contract''s columns');

-- ---------------------------------------------------------------- roles
SELECT is_definer('outreach', 'fn_set_hub_status', ARRAY['text', 'text', 'text', 'text'], 'fn_set_hub_status is SECURITY DEFINER');
SELECT is_definer('outreach', 'fn_evaluate_hub_statuses', ARRAY['uuid'], 'fn_evaluate_hub_statuses is SECURITY DEFINER');
SET LOCAL ROLE outreach_hub_writer;
SELECT lives_ok($$SELECT outreach.fn_set_hub_status('HS-FRESH', 'talent-flow', 'BLOCKED', 'hub writer')$$, 'hub_writer may set a status');
SELECT lives_ok($$SELECT outreach.fn_evaluate_hub_statuses()$$, 'hub_writer may evaluate');
RESET ROLE;
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT outreach.fn_set_hub_status('HS-FRESH', 'talent-flow', 'FAIL')$$, '42501', NULL, 'reader may not set a status');
SELECT lives_ok($$SELECT * FROM outreach.vw_sovereign_completion$$, 'reader reads vw_sovereign_completion');
RESET ROLE;
SET LOCAL ROLE outreach_governor;
SELECT throws_ok($$SELECT outreach.fn_evaluate_hub_statuses()$$, '42501', NULL, 'governor may not write hub status');
RESET ROLE;
SELECT is(pg_temp.st('HS-FRESH', 'talent-flow'), 'BLOCKED', 'the refused callers changed nothing');

-- ---------------------------------------------------------------- fn_evaluate_hub_statuses_range
-- [p_from, p_to) of company_unique_id, NULL bounds open; disjoint ranges may
-- run in concurrent sessions (pyctl seed splits its evaluation that way).
SELECT pg_temp.mk_company('HS-R1', 0);
SELECT pg_temp.mk_company('HS-R2', 0);
SELECT pg_temp.mk_company('HS-R3', 0);
SELECT pg_temp.done_required(c) FROM unnest(ARRAY['HS-R1', 'HS-R2', 'HS-R3']) AS c;
SELECT throws_ok($$SELECT outreach.fn_evaluate_hub_statuses_range('HS-R2', 'HS-R2')$$, '22023', NULL,
                 'an empty range (from = to): 22023');
SELECT throws_ok($$SELECT outreach.fn_evaluate_hub_statuses_range('HS-R3', 'HS-R1')$$, '22023', NULL,
                 'a reversed range: 22023');
SELECT throws_ok($$SELECT outreach.fn_evaluate_hub_statuses_range('  ', NULL)$$, '22023', NULL,
                 'a blank bound: 22023 (NULL is the open end)');
SELECT throws_ok($$SELECT outreach.fn_evaluate_hub_statuses_range(NULL, '')$$, '22023', NULL,
                 'an empty upper bound: 22023');
SELECT is((SELECT count(*) FROM outreach.company_hub_status WHERE company_unique_id LIKE 'HS-R_' AND status = 'PASS'),
          0::bigint, 'the refused calls promoted nothing');
SELECT is(outreach.fn_evaluate_hub_statuses_range('HS-R2', 'HS-R3'), 4,
          'from inclusive: HS-R2''s four required hubs, in one call');
SELECT is(ARRAY(SELECT DISTINCT company_unique_id FROM outreach.company_hub_status
                 WHERE company_unique_id LIKE 'HS-R_' AND status = 'PASS'),
          ARRAY['HS-R2'], '... and nothing of HS-R1 (below) or HS-R3 (to is exclusive)');
SELECT is(outreach.fn_evaluate_hub_statuses_range('HS-R2', 'HS-R3'), 0, 'the same range again changes nothing');
SELECT is(outreach.fn_evaluate_hub_statuses_range('HS-R3', NULL), 4, 'an open upper end: HS-R3');
SELECT is(outreach.fn_evaluate_hub_statuses_range(NULL, 'HS-R2'), 4, 'an open lower end: HS-R1');
SELECT is(outreach.fn_evaluate_hub_statuses(), 0, 'the ranges left nothing for the evaluation of every company');
SELECT is(outreach.fn_evaluate_hub_statuses_range(NULL, NULL), 0, 'both ends open: every company, a fixpoint too');
SELECT is_definer('outreach', 'fn_evaluate_hub_statuses_range', ARRAY['text', 'text'],
                  'fn_evaluate_hub_statuses_range is SECURITY DEFINER');
SELECT isnt_definer('outreach', '_evaluate_hub_statuses', ARRAY['uuid', 'text', 'text', 'text'],
                    'the private rounds are not SECURITY DEFINER (they run as their definer callers)');
SET LOCAL ROLE outreach_hub_writer;
SELECT lives_ok($$SELECT outreach.fn_evaluate_hub_statuses_range(NULL, NULL)$$, 'hub_writer may evaluate a range');
SELECT throws_ok($$SELECT outreach._evaluate_hub_statuses(NULL, NULL, NULL, NULL)$$, '42501', NULL,
                 'hub_writer may not call the private rounds');
RESET ROLE;
SET LOCAL ROLE outreach_governor;
SELECT throws_ok($$SELECT outreach.fn_evaluate_hub_statuses_range(NULL, NULL)$$, '42501', NULL,
                 'governor may not evaluate a range');
RESET ROLE;
-- called directly by the owner, outside a definer function, the rounds still
-- meet the guard: it checks current_user, and a superuser is not the owner
SELECT pg_temp.mk_company('HS-R4', 0);
SELECT pg_temp.done_required('HS-R4');
SELECT throws_ok($$SELECT outreach._evaluate_hub_statuses(NULL, NULL, 'HS-R4', NULL)$$, 'OG005', NULL,
                 'the private rounds, called by a superuser: the sovereign guard refuses the write (OG005)');
SELECT is(pg_temp.st('HS-R4', 'company-target'), 'IN_PROGRESS', '... and HS-R4 is not promoted');
SELECT is(outreach.fn_evaluate_hub_statuses_range('HS-R4', 'HS-R5'), 4, 'through the definer function, the same range is');

-- ---------------------------------------------------------------- evaluation climbs any depth
-- A deeper chain (blog-content behind talent-flow, as only a migration could
-- make it): one call still climbs all three levels, because a round that
-- promoted a prerequisite is always followed by another.
SELECT pg_temp.mk_company('HS-D', 0);
SELECT pg_temp.done_required('HS-D');
INSERT INTO outreach.blog (target_id, outreach_id, company_unique_id)
SELECT target_id, outreach_id, company_unique_id FROM outreach.company_target WHERE company_unique_id = 'HS-D';
SET LOCAL ROLE outreach_owner;
SELECT shq.fn_sanction('outreach.hub_registry');
UPDATE outreach.hub_registry SET prerequisite_hubs = '{talent-flow}' WHERE hub_id = 'blog-content';
SELECT shq.fn_sanction('');
RESET ROLE;
SELECT is(outreach.fn_evaluate_hub_statuses(), 5,
          'a three-level chain: company-target, then its three dependents, then blog-content, in one call');
SELECT is(pg_temp.st('HS-D', 'blog-content'), 'PASS', '... blog-content reached through talent-flow');
SELECT is(outreach.fn_evaluate_hub_statuses(), 0, '... and nothing is left to promote');

-- ---------------------------------------------------------------- indexes
-- The primary key is the only index: no index holds a column that a status
-- write changes, so such an update may be HOT (docs/reference/hubs.md).
SELECT indexes_are('outreach', 'company_hub_status', ARRAY['company_hub_status_pkey'],
                   'company_hub_status has its primary key and no other index');
SELECT is((SELECT array_agg(a.attname::text ORDER BY a.attname)
             FROM pg_index i
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
            WHERE i.indrelid = 'outreach.company_hub_status'::regclass
              AND a.attname IN ('status', 'status_reason', 'updated_at')),
          NULL, 'no index of company_hub_status holds status, status_reason or updated_at');

SELECT * FROM finish();
ROLLBACK;
