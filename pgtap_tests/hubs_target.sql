-- Hubs: Company Target creation (TGT-<8>-<n>, idempotent, required
-- hub rows), fn_update_company_target, fn_set_outreach_status, bad input, the
-- sub-hub attachment rule (OG006), and who may call what.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(61);

SELECT cl.fn_register_company('ABCDEFGHIJ-1', 'Prefix One', 'one.test');
SELECT cl.fn_register_company('ABCDEFGHIJ-2', 'Prefix Two', 'two.test');
SELECT cl.fn_register_company('AB1', 'Short id', 'short.test');
SELECT cl.fn_register_company('HUBS-TGT-X', 'Other', 'other.test');
SELECT cl.fn_register_company('HUBS-NO-TARGET', 'Registered only', 'reg.test');

-- ---------------------------------------------------------------- create
CREATE TEMP TABLE t AS
SELECT 'ABCDEFGHIJ-1'::text AS cid, outreach.fn_create_company_target('ABCDEFGHIJ-1') AS tid
UNION ALL SELECT 'ABCDEFGHIJ-2', outreach.fn_create_company_target('ABCDEFGHIJ-2')
UNION ALL SELECT 'AB1', outreach.fn_create_company_target('AB1')
UNION ALL SELECT 'HUBS-TGT-X', outreach.fn_create_company_target('HUBS-TGT-X');

SELECT matches((SELECT tid FROM t WHERE cid = 'ABCDEFGHIJ-1'), '^TGT-ABCDEFGH-[0-9]+$', 'target_id is TGT-<first 8 chars>-<n>');
SELECT matches((SELECT tid FROM t WHERE cid = 'ABCDEFGHIJ-2'), '^TGT-ABCDEFGH-[0-9]+$', 'a second company with the same 8-char prefix has the same prefix');
SELECT isnt((SELECT tid FROM t WHERE cid = 'ABCDEFGHIJ-1'), (SELECT tid FROM t WHERE cid = 'ABCDEFGHIJ-2'),
            'two companies sharing an 8-character prefix get distinct target_ids');
SELECT matches((SELECT tid FROM t WHERE cid = 'AB1'), '^TGT-AB1-[0-9]+$', 'an id shorter than 8 chars is used whole');
SELECT is(outreach.fn_create_company_target('ABCDEFGHIJ-1'), (SELECT tid FROM t WHERE cid = 'ABCDEFGHIJ-1'),
          'fn_create_company_target is idempotent: the existing target_id comes back');
SELECT is((SELECT count(*) FROM outreach.company_target WHERE company_unique_id = 'ABCDEFGHIJ-1'), 1::bigint,
          'one target per company after two calls');
SELECT is((SELECT ct.outreach_id FROM outreach.company_target ct WHERE ct.company_unique_id = 'ABCDEFGHIJ-1'),
          (SELECT ci.outreach_id FROM cl.company_identity ci WHERE ci.company_unique_id = 'ABCDEFGHIJ-1'),
          'the target carries the outreach_id minted into CL');
SELECT is((SELECT count(*) FROM outreach.outreach WHERE company_unique_id = 'ABCDEFGHIJ-1'), 1::bigint,
          'the spine row exists once');
SELECT is((SELECT outreach_status || '/' || execution_status FROM outreach.company_target WHERE company_unique_id = 'AB1'),
          'queued/pending', 'a new target is queued/pending');
SELECT results_eq(
    $$SELECT hub_id, status FROM outreach.company_hub_status WHERE company_unique_id = 'ABCDEFGHIJ-1' ORDER BY hub_id$$,
    $$VALUES ('company-target'::text, 'IN_PROGRESS'::text), ('dol-filings', 'IN_PROGRESS'),
             ('people-intelligence', 'IN_PROGRESS'), ('talent-flow', 'IN_PROGRESS')$$,
    'IN_PROGRESS rows for every required hub, and only those');

-- an existing status survives a repeated create
SELECT outreach.fn_update_company_target((SELECT tid FROM t WHERE cid = 'AB1'), 'ready', 'pattern', '{f}.{l}', 0.9, true);
SELECT outreach.fn_set_hub_status('AB1', 'company-target', 'PASS', 'done');
SELECT outreach.fn_create_company_target('AB1');
SELECT is((SELECT status FROM outreach.company_hub_status WHERE company_unique_id = 'AB1' AND hub_id = 'company-target'),
          'PASS', 'creating the target again does not reset hub statuses');

-- bad input changes nothing
CREATE TEMP TABLE counts_before AS
SELECT (SELECT count(*) FROM outreach.company_target) AS targets, (SELECT count(*) FROM outreach.outreach) AS spine,
       (SELECT count(*) FROM outreach.company_hub_status) AS hubs;
SELECT throws_ok($$SELECT outreach.fn_create_company_target(NULL)$$, 'OG001', NULL, 'NULL company id: OG001');
SELECT throws_ok($$SELECT outreach.fn_create_company_target('')$$, 'OG001', NULL, 'empty company id: OG001');
SELECT throws_ok($$SELECT outreach.fn_create_company_target(E' \t ')$$, 'OG001', NULL, 'whitespace company id: OG001');
SELECT throws_ok($$SELECT outreach.fn_create_company_target('HUBS-NOT-IN-CL')$$, 'OG002', NULL, 'company unknown to CL: OG002');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM outreach.company_target), (SELECT count(*) FROM outreach.outreach),
             (SELECT count(*) FROM outreach.company_hub_status)$$,
    $$SELECT targets, spine, hubs FROM counts_before$$,
    'refused creates left targets, spine and hub rows unchanged');

-- ---------------------------------------------------------------- update
SELECT lives_ok(format($$SELECT outreach.fn_update_company_target(%L, 'ready', 'pattern', '{first}.{last}', 0.87, true)$$,
                       (SELECT tid FROM t WHERE cid = 'ABCDEFGHIJ-1')), 'fn_update_company_target works');
SELECT results_eq(
    $$SELECT execution_status, email_method, email_pattern, confidence_score, imo_completed_at IS NOT NULL
        FROM outreach.company_target WHERE company_unique_id = 'ABCDEFGHIJ-1'$$,
    $$VALUES ('ready'::text, 'pattern'::text, '{first}.{last}'::text, 0.87::numeric, true)$$,
    'the fields are stored and p_completed stamps imo_completed_at');
SELECT outreach.fn_update_company_target((SELECT tid FROM t WHERE cid = 'ABCDEFGHIJ-2'), 'pending', NULL, NULL, NULL, false);
SELECT is((SELECT imo_completed_at FROM outreach.company_target WHERE company_unique_id = 'ABCDEFGHIJ-2'), NULL,
          'p_completed false leaves imo_completed_at NULL');
SELECT outreach.fn_update_company_target((SELECT tid FROM t WHERE cid = 'ABCDEFGHIJ-1'), 'ready', 'smtp', NULL, 0.5, false);
SELECT isnt((SELECT imo_completed_at FROM outreach.company_target WHERE company_unique_id = 'ABCDEFGHIJ-1'), NULL,
            'p_completed false keeps an earlier completion stamp');

CREATE TEMP TABLE target_before AS SELECT * FROM outreach.company_target;
SELECT throws_ok(format($$SELECT outreach.fn_update_company_target(%L, 'done', 'x', NULL, 1, true)$$,
                        (SELECT tid FROM t WHERE cid = 'ABCDEFGHIJ-1')), '22023', NULL, 'unknown execution_status: 22023');
SELECT throws_ok(format($$SELECT outreach.fn_update_company_target(%L, NULL, 'x', NULL, 1, true)$$,
                        (SELECT tid FROM t WHERE cid = 'ABCDEFGHIJ-1')), '22023', NULL, 'NULL execution_status: 22023');
SELECT throws_ok(format($$SELECT outreach.fn_update_company_target(%L, 'ready', 'x', NULL, -1, true)$$,
                        (SELECT tid FROM t WHERE cid = 'ABCDEFGHIJ-1')), '22023', NULL, 'negative confidence_score: 22023');
SELECT throws_ok($$SELECT outreach.fn_update_company_target('  ', 'ready', 'x', NULL, 1, true)$$, '22023', NULL,
                 'blank target_id: 22023');
SELECT throws_ok($$SELECT outreach.fn_update_company_target(NULL, 'ready', 'x', NULL, 1, true)$$, '22023', NULL,
                 'NULL target_id: 22023');
SELECT throws_ok($$SELECT outreach.fn_update_company_target('TGT-NOPE-0', 'ready', 'x', NULL, 1, true)$$, 'OG002', NULL,
                 'unknown target_id: OG002');
SELECT set_eq($$SELECT * FROM outreach.company_target$$, $$SELECT * FROM target_before$$,
              'refused updates changed no target row');

-- ---------------------------------------------------------------- outreach status
SELECT outreach.fn_set_outreach_status((SELECT tid FROM t WHERE cid = 'HUBS-TGT-X'), 'active', 'pgtap active');
SELECT is((SELECT outreach_status FROM outreach.company_target WHERE company_unique_id = 'HUBS-TGT-X'), 'active',
          'fn_set_outreach_status sets active');
SELECT outreach.fn_set_outreach_status((SELECT tid FROM t WHERE cid = 'HUBS-TGT-X'), 'paused', 'pgtap paused');
SELECT is((SELECT outreach_status FROM outreach.company_target WHERE company_unique_id = 'HUBS-TGT-X'), 'paused',
          'fn_set_outreach_status sets paused');
SELECT outreach.fn_set_outreach_status((SELECT tid FROM t WHERE cid = 'HUBS-TGT-X'), 'exhausted', 'pgtap exhausted');
SELECT is((SELECT outreach_status FROM outreach.company_target WHERE company_unique_id = 'HUBS-TGT-X'), 'exhausted',
          'fn_set_outreach_status sets exhausted');
SELECT outreach.fn_set_outreach_status((SELECT tid FROM t WHERE cid = 'HUBS-TGT-X'), 'opted_out', 'pgtap opted_out');
SELECT is((SELECT outreach_status FROM outreach.company_target WHERE company_unique_id = 'HUBS-TGT-X'), 'opted_out',
          'fn_set_outreach_status sets opted_out');
SELECT outreach.fn_set_outreach_status((SELECT tid FROM t WHERE cid = 'HUBS-TGT-X'), 'queued', 'pgtap queued');
SELECT is((SELECT outreach_status FROM outreach.company_target WHERE company_unique_id = 'HUBS-TGT-X'), 'queued',
          'fn_set_outreach_status sets queued');
SELECT outreach.fn_set_outreach_status((SELECT tid FROM t WHERE cid = 'HUBS-TGT-X'), 'paused', 'maintenance');
SELECT is((SELECT outreach_status || ':' || status_reason FROM outreach.company_target WHERE company_unique_id = 'HUBS-TGT-X'),
          'paused:maintenance', 'outreach_status and its reason are stored');
DROP TABLE target_before;
CREATE TEMP TABLE target_before AS SELECT * FROM outreach.company_target;
SELECT throws_ok(format($$SELECT outreach.fn_set_outreach_status(%L, 'ACTIVE', 'x')$$, (SELECT tid FROM t WHERE cid = 'HUBS-TGT-X')),
                 '22023', NULL, 'status outside the five (case matters): 22023');
SELECT throws_ok(format($$SELECT outreach.fn_set_outreach_status(%L, NULL, 'x')$$, (SELECT tid FROM t WHERE cid = 'HUBS-TGT-X')),
                 '22023', NULL, 'NULL status: 22023');
SELECT throws_ok(format($$SELECT outreach.fn_set_outreach_status(%L, 'active', ' ')$$, (SELECT tid FROM t WHERE cid = 'HUBS-TGT-X')),
                 '22023', NULL, 'blank reason: 22023');
SELECT throws_ok($$SELECT outreach.fn_set_outreach_status('', 'active', 'x')$$, '22023', NULL, 'blank target_id: 22023');
SELECT throws_ok($$SELECT outreach.fn_set_outreach_status('TGT-NOPE-0', 'active', 'x')$$, 'OG002', NULL, 'unknown target_id: OG002');
SELECT set_eq($$SELECT * FROM outreach.company_target$$, $$SELECT * FROM target_before$$,
              'refused status changes changed no target row');

-- ---------------------------------------------------------------- attachment (OG006)
CREATE TEMP TABLE ids AS
SELECT ct.company_unique_id AS cid, ct.outreach_id AS oid, ct.target_id AS tid FROM outreach.company_target ct
 WHERE ct.company_unique_id LIKE 'ABCDEFGHIJ-%';
SELECT throws_ok(format($$INSERT INTO outreach.dol (target_id, outreach_id, company_unique_id, ein, filing_present)
                          VALUES (%L, %L, %L, '1', true)$$,
                        (SELECT tid FROM ids WHERE cid = 'ABCDEFGHIJ-1'), (SELECT oid FROM ids WHERE cid = 'ABCDEFGHIJ-1'), 'ABCDEFGHIJ-2'),
                 'OG006', NULL, 'dol row naming another company: OG006');
SELECT throws_ok(format($$INSERT INTO outreach.talent_flow (target_id, outreach_id, company_unique_id, last_scan_at)
                          VALUES (%L, %L, %L, now())$$,
                        (SELECT tid FROM ids WHERE cid = 'ABCDEFGHIJ-1'), (SELECT oid FROM ids WHERE cid = 'ABCDEFGHIJ-2'), 'ABCDEFGHIJ-1'),
                 'OG006', NULL, 'talent_flow row with another outreach_id: OG006');
SELECT throws_ok(format($$INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type)
                          VALUES ('TGT-NOPE-0', %L, 'ABCDEFGHIJ-1', 'CEO')$$, (SELECT oid FROM ids WHERE cid = 'ABCDEFGHIJ-1')),
                 'OG006', NULL, 'slot naming an unknown target: OG006');
INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type, is_filled)
SELECT tid, oid, cid, 'CEO', true FROM ids WHERE cid = 'ABCDEFGHIJ-2';
SELECT throws_ok(format($$INSERT INTO people.people_master (slot_id, target_id, outreach_id, company_unique_id, email_verified)
                          VALUES (%s, %L, %L, 'ABCDEFGHIJ-1', true)$$,
                        (SELECT slot_id FROM people.company_slot WHERE company_unique_id = 'ABCDEFGHIJ-2'),
                        (SELECT tid FROM ids WHERE cid = 'ABCDEFGHIJ-1'), (SELECT oid FROM ids WHERE cid = 'ABCDEFGHIJ-1')),
                 'OG006', NULL, 'a person seated in another company''s slot: OG006');
INSERT INTO outreach.blog (target_id, outreach_id, company_unique_id) SELECT tid, oid, cid FROM ids WHERE cid = 'ABCDEFGHIJ-1';
SELECT throws_ok($$UPDATE outreach.blog SET company_unique_id = 'ABCDEFGHIJ-2' WHERE company_unique_id = 'ABCDEFGHIJ-1'$$,
                 'OG006', NULL, 'moving a sub-hub row to another company: OG006');
-- the bulk loader's declaration counts only in replica mode (a superuser's):
-- declared by an ordinary writer, the row is still checked
SELECT set_config('outreach.attachment_checked_set_based', 'on', true);
SELECT throws_ok(format($$INSERT INTO outreach.dol (target_id, outreach_id, company_unique_id, ein, filing_present)
                          VALUES (%L, %L, %L, '1', true)$$,
                        (SELECT tid FROM ids WHERE cid = 'ABCDEFGHIJ-1'), (SELECT oid FROM ids WHERE cid = 'ABCDEFGHIJ-1'), 'ABCDEFGHIJ-2'),
                 'OG006', NULL, 'dol row naming another company, the bulk declaration set outside replica mode: OG006');
SELECT set_config('outreach.attachment_checked_set_based', '', true);
SELECT is((SELECT count(*) FROM outreach.dol d JOIN ids ON ids.oid = d.outreach_id)
          + (SELECT count(*) FROM outreach.talent_flow f JOIN ids ON ids.oid = f.outreach_id)
          + (SELECT count(*) FROM people.people_master m JOIN ids ON ids.oid = m.outreach_id), 0::bigint,
          'no mismatched sub-hub row was written');
SELECT is((SELECT b.company_unique_id FROM outreach.blog b JOIN ids ON ids.tid = b.target_id), 'ABCDEFGHIJ-1',
          'the blog row kept its company');

-- ---------------------------------------------------------------- roles
SELECT is_definer('outreach', 'fn_create_company_target', ARRAY['text'], 'fn_create_company_target is SECURITY DEFINER');
SELECT is_definer('outreach', 'fn_update_company_target', ARRAY['text', 'text', 'text', 'text', 'numeric', 'boolean'],
                  'fn_update_company_target is SECURITY DEFINER');
SELECT is_definer('outreach', 'fn_set_outreach_status', ARRAY['text', 'text', 'text'], 'fn_set_outreach_status is SECURITY DEFINER');
SELECT function_privs_are('outreach', 'fn_create_company_target', ARRAY['text'], 'outreach_hub_writer', ARRAY['EXECUTE'],
                          'hub_writer may create targets');
SELECT function_privs_are('outreach', 'fn_create_company_target', ARRAY['text'], 'outreach_reader', ARRAY[]::text[],
                          'reader may not create targets');
SELECT function_privs_are('outreach', 'fn_update_company_target', ARRAY['text', 'text', 'text', 'text', 'numeric', 'boolean'],
                          'outreach_sender', ARRAY[]::text[], 'sender may not update targets');
SELECT function_privs_are('outreach', 'fn_set_outreach_status', ARRAY['text', 'text', 'text'], 'public', ARRAY[]::text[],
                          'PUBLIC may not set outreach status');

SELECT cl.fn_register_company('HUBS-HW', 'Hub writer co', 'hw.test');
SET LOCAL ROLE outreach_hub_writer;
SELECT matches(outreach.fn_create_company_target('HUBS-HW'), '^TGT-HUBS-HW-[0-9]+$', 'hub_writer creates a target');
SELECT lives_ok($$SELECT outreach.fn_set_outreach_status(
                      (SELECT target_id FROM outreach.company_target WHERE company_unique_id = 'HUBS-HW'), 'paused', 'hw')$$,
                'hub_writer sets outreach status');
SELECT throws_ok($$UPDATE outreach.company_target SET outreach_status = 'active'$$, '42501', NULL,
                 'hub_writer cannot UPDATE company_target directly');
RESET ROLE;
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT outreach.fn_create_company_target('HUBS-NO-TARGET')$$, '42501', NULL, 'reader cannot create targets');
SELECT throws_ok($$SELECT * FROM outreach.company_target$$, '42501', NULL, 'reader cannot read the raw target table');
RESET ROLE;
SET LOCAL ROLE outreach_override_admin;
SELECT throws_ok($$SELECT outreach.fn_update_company_target('x', 'ready', NULL, NULL, NULL, false)$$, '42501', NULL,
                 'override_admin cannot update targets');
RESET ROLE;
SELECT is((SELECT count(*) FROM outreach.company_target WHERE company_unique_id = 'HUBS-NO-TARGET'), 0::bigint,
          'the refused role calls created nothing');

SELECT * FROM finish();
ROLLBACK;
