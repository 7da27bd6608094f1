-- Cascade deletion and orphan archiving: the
-- 13 steps in order with the rows each removed (counted per table before and
-- after), the spine row archived with reason and actor, one audit row, other
-- companies and shared campaigns untouched; OG009 for CL-bound ids, P0002
-- for unknown ids, 22023 for NULL/blank arguments, nothing deleted on error;
-- fn_archive_orphans; roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(47);

-- ---------------------------------------------------------------- helpers
INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status)
VALUES ('CAS-EM', 'cascade email', 'EMAIL', 0, 'active');
INSERT INTO outreach.sequences (campaign_id, step_number, template_id, delay_days)
VALUES ('CAS-EM', 1, 't1', 0), ('CAS-EM', 2, 't2', 3);

-- A company with a row in every table the cascade touches. An orphan gets its
-- spine row and target by direct INSERT (CL never binds it); a bound one goes
-- through fn_create_company_target.
CREATE FUNCTION pg_temp.build(p_cid text, p_orphan boolean) RETURNS uuid LANGUAGE plpgsql AS $f$
DECLARE v_oid uuid; v_tid text; v_slot bigint; v_audit uuid; v_send bigint;
BEGIN
    PERFORM cl.fn_register_company(p_cid, 'Company ' || p_cid, lower(p_cid) || '.example.com');
    IF p_orphan THEN
        INSERT INTO outreach.outreach (company_unique_id) VALUES (p_cid) RETURNING outreach_id INTO v_oid;
        v_tid := 'TGT-' || left(p_cid, 8) || '-' || nextval('outreach.company_target_seq');
        INSERT INTO outreach.company_target (target_id, outreach_id, company_unique_id) VALUES (v_tid, v_oid, p_cid);
    ELSE
        v_tid := outreach.fn_create_company_target(p_cid);
        SELECT t.outreach_id INTO v_oid FROM outreach.company_target t WHERE t.target_id = v_tid;
    END IF;
    PERFORM outreach.fn_update_company_target(v_tid, 'ready', 'pattern', '{first}.{last}', 0.9, true);
    INSERT INTO outreach.dol (target_id, outreach_id, company_unique_id, ein, filing_present) VALUES (v_tid, v_oid, p_cid, '12-3456789', true);
    INSERT INTO outreach.dol_filings (target_id, outreach_id, company_unique_id, plan_year) VALUES (v_tid, v_oid, p_cid, 2025);
    INSERT INTO people.company_slot (target_id, outreach_id, company_unique_id, slot_type, is_filled, filled_at)
    VALUES (v_tid, v_oid, p_cid, 'CEO', true, now()) RETURNING slot_id INTO v_slot;
    INSERT INTO people.people_master (slot_id, target_id, outreach_id, company_unique_id, full_name, email, email_verified)
    VALUES (v_slot, v_tid, v_oid, p_cid, 'Pat', 'pat@' || lower(p_cid) || '.example.com', true);
    INSERT INTO outreach.people (person_id, target_id, outreach_id, company_unique_id, full_name)
    VALUES ('P-' || p_cid, v_tid, v_oid, p_cid, 'Lee');
    INSERT INTO outreach.talent_flow (target_id, outreach_id, company_unique_id, last_scan_at) VALUES (v_tid, v_oid, p_cid, now());
    INSERT INTO outreach.blog (target_id, outreach_id, company_unique_id, last_checked_at) VALUES (v_tid, v_oid, p_cid, now());
    INSERT INTO outreach.blog_signals (target_id, outreach_id, company_unique_id, headline) VALUES (v_tid, v_oid, p_cid, 'news');
    -- direct INSERT: fn_add_bit_signal mints (binds) the id, and an orphan must stay unbound
    INSERT INTO outreach.bit_signals (outreach_id, company_unique_id, signal_type, points, occurred_at)
    VALUES (v_oid, p_cid, 'DOMAIN_VERIFIED', 10, now()), (v_oid, p_cid, 'NEWS_MENTION', 5, now() - interval '3 days');
    PERFORM outreach.fn_refresh_bit_scores(ARRAY[v_oid], now());
    PERFORM outreach.fn_evaluate_hub_statuses(v_oid);
    PERFORM outreach.set_marketing_override(p_cid, 'BLOCK_PHONE', 'pgtap', 'pgtap');
    PERFORM outreach.set_marketing_override(p_cid, 'FORCE_TIER', 'pgtap', 'pgtap', 3);
    PERFORM outreach.remove_marketing_override(p_cid, 'FORCE_TIER', 'pgtap', 'pgtap');
    PERFORM shq.fn_record_error('outreach.dol_errors', v_oid, 'TIMEOUT', 'pgtap');
    SELECT g.audit_id INTO v_audit FROM outreach.fn_safety_gate_check(p_cid, 'CAS-EM', 'pgtap-' || p_cid, 'EMAIL', false) g
     WHERE g.is_eligible;
    INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, sequence_id, channel, gate_audit_id)
    SELECT v_oid, p_cid, v_tid, 'CAS-EM', q.sequence_id, 'EMAIL', v_audit FROM outreach.sequences q
     WHERE q.campaign_id = 'CAS-EM' AND q.step_number = 1
    RETURNING send_id INTO v_send;
    INSERT INTO outreach.engagement_events (send_id, outreach_id, company_unique_id, target_id, event_type)
    VALUES (v_send, v_oid, p_cid, v_tid, 'OPEN'), (v_send, v_oid, p_cid, v_tid, 'CLICK');
    RETURN v_oid;
END $f$;

-- rows per table that belong to one spine record
CREATE FUNCTION pg_temp.rows_of(p_oid uuid, p_cid text) RETURNS TABLE (table_name text, n bigint) LANGUAGE sql AS $f$
    SELECT 'outreach.send_log', count(*) FROM outreach.send_log WHERE outreach_id = p_oid
    UNION ALL SELECT 'outreach.engagement_events', count(*) FROM outreach.engagement_events WHERE outreach_id = p_oid
    UNION ALL SELECT 'outreach.manual_overrides', count(*) FROM outreach.manual_overrides WHERE company_unique_id = p_cid
    UNION ALL SELECT 'outreach.bit_signals', count(*) FROM outreach.bit_signals WHERE outreach_id = p_oid
    UNION ALL SELECT 'outreach.bit_scores', count(*) FROM outreach.bit_scores WHERE outreach_id = p_oid
    UNION ALL SELECT 'outreach.blog', count(*) FROM outreach.blog WHERE outreach_id = p_oid
    UNION ALL SELECT 'outreach.blog_signals', count(*) FROM outreach.blog_signals WHERE outreach_id = p_oid
    UNION ALL SELECT 'people.people_master', count(*) FROM people.people_master WHERE outreach_id = p_oid
    UNION ALL SELECT 'people.company_slot', count(*) FROM people.company_slot WHERE outreach_id = p_oid
    UNION ALL SELECT 'outreach.people', count(*) FROM outreach.people WHERE outreach_id = p_oid
    UNION ALL SELECT 'outreach.dol', count(*) FROM outreach.dol WHERE outreach_id = p_oid
    UNION ALL SELECT 'outreach.dol_filings', count(*) FROM outreach.dol_filings WHERE outreach_id = p_oid
    UNION ALL SELECT 'outreach.talent_flow', count(*) FROM outreach.talent_flow WHERE outreach_id = p_oid
    UNION ALL SELECT 'outreach.company_target', count(*) FROM outreach.company_target WHERE outreach_id = p_oid
    UNION ALL SELECT 'outreach.company_hub_status', count(*) FROM outreach.company_hub_status WHERE company_unique_id = p_cid
    UNION ALL SELECT 'outreach.outreach', count(*) FROM outreach.outreach WHERE outreach_id = p_oid;
$f$;
-- every row of every table the cascade may touch, as one fingerprint
CREATE FUNCTION pg_temp.all_rows() RETURNS TABLE (table_name text, n bigint) LANGUAGE sql AS $f$
    SELECT 'outreach.send_log', count(*) FROM outreach.send_log
    UNION ALL SELECT 'outreach.engagement_events', count(*) FROM outreach.engagement_events
    UNION ALL SELECT 'outreach.sequences', count(*) FROM outreach.sequences
    UNION ALL SELECT 'outreach.campaigns', count(*) FROM outreach.campaigns
    UNION ALL SELECT 'outreach.manual_overrides', count(*) FROM outreach.manual_overrides
    UNION ALL SELECT 'outreach.bit_signals', count(*) FROM outreach.bit_signals
    UNION ALL SELECT 'outreach.bit_scores', count(*) FROM outreach.bit_scores
    UNION ALL SELECT 'outreach.blog', count(*) FROM outreach.blog
    UNION ALL SELECT 'people.people_master', count(*) FROM people.people_master
    UNION ALL SELECT 'people.company_slot', count(*) FROM people.company_slot
    UNION ALL SELECT 'outreach.people', count(*) FROM outreach.people
    UNION ALL SELECT 'outreach.dol', count(*) FROM outreach.dol
    UNION ALL SELECT 'outreach.company_target', count(*) FROM outreach.company_target
    UNION ALL SELECT 'outreach.company_hub_status', count(*) FROM outreach.company_hub_status
    UNION ALL SELECT 'outreach.outreach', count(*) FROM outreach.outreach
    UNION ALL SELECT 'outreach.outreach_archive', count(*) FROM outreach.outreach_archive
    UNION ALL SELECT 'outreach.outreach_orphan_archive', count(*) FROM outreach.outreach_orphan_archive
    UNION ALL SELECT 'shq.audit_log', count(*) FROM shq.audit_log
    UNION ALL SELECT 'outreach.send_attempt_audit', count(*) FROM outreach.send_attempt_audit
    UNION ALL SELECT 'outreach.override_audit_log', count(*) FROM outreach.override_audit_log
    UNION ALL SELECT 'outreach.dol_errors', count(*) FROM outreach.dol_errors;
$f$;

SELECT pg_temp.build('CAS-ORPHAN', true) AS orphan \gset
SELECT pg_temp.build('CAS-BOUND', false) AS bound \gset
SELECT cl.fn_register_company('CAS-NOSPINE', 'no spine', 'nospine.example.com');

SELECT is((SELECT outreach_id FROM cl.company_identity WHERE company_unique_id = 'CAS-ORPHAN'), NULL,
          'setup: CL does not bind the orphan''s spine record');
SELECT is((SELECT count(*)::int FROM pg_temp.rows_of(:'orphan', 'CAS-ORPHAN') WHERE n = 0), 0,
          'setup: the orphan has rows in every table of the cascade');
CREATE TEMP TABLE before_orphan AS SELECT * FROM pg_temp.rows_of(:'orphan', 'CAS-ORPHAN');
CREATE TEMP TABLE before_bound AS SELECT * FROM pg_temp.rows_of(:'bound', 'CAS-BOUND');
CREATE TEMP TABLE before_all AS SELECT * FROM pg_temp.all_rows();

-- ---------------------------------------------------------------- refusals change nothing
SELECT throws_ok(format('SELECT * FROM outreach.fn_delete_outreach_cascade(%L, %L, %L)', :'bound', 'cleanup', 'ops'),
                 'OG009', NULL, 'a spine record CL still binds: OG009');
SELECT throws_like(format('SELECT * FROM outreach.fn_delete_outreach_cascade(%L, %L, %L)', :'bound', 'cleanup', 'ops'),
                   '%' || :'bound' || '%', '... naming the id');
SELECT throws_ok($$SELECT * FROM outreach.fn_delete_outreach_cascade('00000000-0000-0000-0000-000000000000', 'cleanup', 'ops')$$,
                 'P0002', NULL, 'an id in no spine row: P0002');
SELECT throws_ok($$SELECT * FROM outreach.fn_delete_outreach_cascade(NULL, 'cleanup', 'ops')$$, '22023', NULL, 'NULL id: 22023');
SELECT throws_ok(format('SELECT * FROM outreach.fn_delete_outreach_cascade(%L, %L, %L)', :'orphan', NULL, 'ops'),
                 '22023', NULL, 'NULL reason: 22023');
SELECT throws_ok(format('SELECT * FROM outreach.fn_delete_outreach_cascade(%L, %L, %L)', :'orphan', ' 	 ', 'ops'),
                 '22023', NULL, 'blank reason: 22023');
SELECT throws_ok(format('SELECT * FROM outreach.fn_delete_outreach_cascade(%L, %L, %L)', :'orphan', 'cleanup', ''),
                 '22023', NULL, 'empty actor: 22023');
SELECT throws_ok(format('SELECT * FROM outreach.fn_delete_outreach_cascade(%L, %L, %L)', :'orphan', 'cleanup', NULL),
                 '22023', NULL, 'NULL actor: 22023');
SELECT set_eq('SELECT * FROM pg_temp.all_rows()', 'SELECT * FROM before_all', '... and none of these refusals changed a row');

-- ---------------------------------------------------------------- the cascade
CREATE TEMP TABLE steps AS
SELECT * FROM outreach.fn_delete_outreach_cascade(:'orphan', 'duplicate record of CAS-ORPHAN', 'ops:jane');
SELECT results_eq($$SELECT step, table_name FROM steps$$,
                  $$VALUES (1, 'outreach.send_log'), (2, 'outreach.sequences'), (3, 'outreach.campaigns'),
                           (4, 'outreach.manual_overrides'), (5, 'outreach.bit_signals'), (6, 'outreach.bit_scores'),
                           (7, 'outreach.blog'), (8, 'people.people_master'), (9, 'people.company_slot'),
                           (10, 'outreach.people'), (11, 'outreach.dol'), (12, 'outreach.company_target'),
                           (13, 'outreach.outreach')$$,
                  'thirteen rows, in the cascade order, spine last');
SELECT results_eq($$SELECT s.table_name, s.deleted FROM steps s WHERE s.step NOT IN (2, 3) ORDER BY s.step$$,
                  $$SELECT b.table_name, b.n FROM before_orphan b JOIN steps s USING (table_name) ORDER BY s.step$$,
                  'each step reports exactly the rows the record had in its table');
SELECT results_eq($$SELECT deleted FROM steps WHERE step IN (2, 3) ORDER BY step$$, $$VALUES (0::bigint), (0::bigint)$$,
                  'sequences and campaigns are shared definitions: steps 2 and 3 delete nothing');
SELECT is((SELECT sum(n)::int FROM pg_temp.rows_of(:'orphan', 'CAS-ORPHAN')), 0,
          'afterwards no row of the record is left anywhere (engagement, blog signals, filings, talent flow, hub status included)');
SELECT set_eq('SELECT * FROM pg_temp.rows_of(' || quote_literal(:'bound') || ', ''CAS-BOUND'')',
              'SELECT * FROM before_bound', 'the other company keeps every row');
SELECT results_eq($$SELECT n FROM pg_temp.all_rows() WHERE table_name IN ('outreach.campaigns', 'outreach.sequences') ORDER BY table_name$$,
                  $$SELECT n FROM before_all WHERE table_name IN ('outreach.campaigns', 'outreach.sequences') ORDER BY table_name$$,
                  'campaigns and sequences are untouched');
SELECT results_eq(
    $$SELECT a.table_name, a.n - b.n FROM pg_temp.all_rows() a JOIN before_all b USING (table_name)
       WHERE a.table_name IN ('outreach.send_attempt_audit', 'outreach.override_audit_log', 'outreach.dol_errors')
       ORDER BY 1$$,
    $$VALUES ('outreach.dol_errors', 0::bigint), ('outreach.override_audit_log', 0::bigint), ('outreach.send_attempt_audit', 0::bigint)$$,
    'audit trails and governed error rows are kept (they carry the ids as data)');
SELECT results_eq(
    format($$SELECT outreach_id, company_unique_id, archive_reason, archived_by, archived_at = now()
               FROM outreach.outreach_archive WHERE outreach_id = %L$$, :'orphan'),
    format($$VALUES (%L::uuid, 'CAS-ORPHAN'::text, 'duplicate record of CAS-ORPHAN'::text, 'ops:jane'::text, true)$$, :'orphan'),
    'the spine row is copied to outreach_archive with p_reason and p_actor');
SELECT is((SELECT count(*)::int FROM outreach.outreach_orphan_archive), 0, '... not to the orphan archive');
SELECT results_eq(
    format($$SELECT event_type, actor, correlation_id, details ->> 'reason', details ->> 'company_unique_id',
                    jsonb_array_length(details -> 'steps'), (details -> 'also_deleted' ->> 'outreach.engagement_events')::int
               FROM shq.audit_log WHERE correlation_id = %L$$, :'orphan'),
    format($$VALUES ('OUTREACH_CASCADE_DELETE'::text, 'ops:jane'::text, %L::text, 'duplicate record of CAS-ORPHAN'::text,
                     'CAS-ORPHAN'::text, 13, 2)$$, :'orphan'),
    'one audit row: event, actor, the id as correlation, reason, the 13 steps and the rows of unlisted tables');
SELECT is((SELECT count(*)::int FROM shq.audit_log) - (SELECT n FROM before_all WHERE table_name = 'shq.audit_log')::int, 1,
          'exactly one audit row was written');
SELECT is((SELECT company_unique_id FROM cl.company_identity WHERE company_unique_id = 'CAS-ORPHAN'), 'CAS-ORPHAN',
          'CL keeps the company (Outreach never deletes identity)');
SELECT throws_like(format('SELECT * FROM outreach.fn_delete_outreach_cascade(%L, %L, %L)', :'orphan', 'again', 'ops'),
                   '%not in the spine%', 'a second call: the id is gone (P0002) ...');
SELECT throws_ok(format('SELECT * FROM outreach.fn_delete_outreach_cascade(%L, %L, %L)', :'orphan', 'again', 'ops'),
                 'P0002', NULL, '... with P0002');

-- the sanction does not outlive the call
SELECT throws_ok($$DELETE FROM outreach.company_hub_status WHERE company_unique_id = 'CAS-BOUND'$$, 'OG005', NULL,
                 'after the cascade, a direct DELETE on a sovereign table is refused again (OG005)');
SELECT throws_ok($$DELETE FROM outreach.bit_signals WHERE company_unique_id = 'CAS-BOUND'$$, 'OG004', NULL,
                 '... and on an append-only table (OG004)');

-- ---------------------------------------------------------------- a bare spine row
INSERT INTO outreach.outreach (company_unique_id) VALUES ('CAS-NOSPINE');
SELECT results_eq(
    $$SELECT sum(deleted)::int, count(*)::int FROM outreach.fn_delete_outreach_cascade(
          (SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = 'CAS-NOSPINE'), 'bare', 'ops')$$,
    $$VALUES (1, 13)$$, 'a spine row with nothing attached: 13 rows, only the spine row deleted');

-- ---------------------------------------------------------------- fn_archive_orphans
SELECT throws_ok($$SELECT outreach.fn_archive_orphans(NULL)$$, '22023', NULL, 'fn_archive_orphans: NULL actor 22023');
SELECT throws_ok($$SELECT outreach.fn_archive_orphans('  ')$$, '22023', NULL, '... blank actor 22023');
SELECT pg_temp.build('ORPH-A', true) AS orph_a \gset
SELECT pg_temp.build('ORPH-B', true) AS orph_b \gset
SELECT cl.fn_register_company('ORPH-C', 'c', 'c.example.com');
INSERT INTO outreach.outreach (company_unique_id) VALUES ('ORPH-C');
CREATE TEMP TABLE before_archive AS SELECT * FROM pg_temp.rows_of(:'bound', 'CAS-BOUND');
SELECT is(outreach.fn_archive_orphans('ops:nightly'), 3::bigint, 'three unbound spine rows are archived');
SELECT set_eq($$SELECT company_unique_id, archived_by, archive_reason FROM outreach.outreach_orphan_archive$$,
              $$VALUES ('ORPH-A', 'ops:nightly', 'ORPHAN: spine row not bound by CL'),
                       ('ORPH-B', 'ops:nightly', 'ORPHAN: spine row not bound by CL'),
                       ('ORPH-C', 'ops:nightly', 'ORPHAN: spine row not bound by CL')$$,
              '... into outreach_orphan_archive, with the actor and the reason');
SELECT is((SELECT sum(n)::int FROM pg_temp.rows_of(:'orph_a', 'ORPH-A')) + (SELECT sum(n)::int FROM pg_temp.rows_of(:'orph_b', 'ORPH-B')), 0,
          '... with every row attached to them (the cascade)');
SELECT set_eq('SELECT * FROM pg_temp.rows_of(' || quote_literal(:'bound') || ', ''CAS-BOUND'')',
              'SELECT * FROM before_archive', 'a bound company is untouched');
SELECT is((SELECT is_aligned FROM shq.fn_check_spine_alignment()), true, 'the spine is aligned with CL afterwards');
SELECT results_eq($$SELECT actor, (details ->> 'archived')::int FROM shq.audit_log
                     WHERE event_type = 'OUTREACH_ORPHANS_ARCHIVED' ORDER BY audit_id DESC LIMIT 1$$,
                  $$VALUES ('ops:nightly'::text, 3)$$, 'one OUTREACH_ORPHANS_ARCHIVED audit row');
SELECT is(outreach.fn_archive_orphans('ops:nightly'), 0::bigint, 'a second run finds none: 0');
SELECT is((SELECT count(*)::int FROM outreach.outreach_orphan_archive), 3, '... and archives nothing more');

-- ---------------------------------------------------------------- definer, roles
SELECT is_definer('outreach', 'fn_delete_outreach_cascade', ARRAY['uuid', 'text', 'text'], 'the cascade is SECURITY DEFINER');
SELECT is_definer('outreach', 'fn_archive_orphans', ARRAY['text'], 'fn_archive_orphans is SECURITY DEFINER');
SELECT function_privs_are('outreach', 'fn_delete_outreach_cascade', ARRAY['uuid', 'text', 'text'], 'outreach_governor',
                          ARRAY['EXECUTE'], 'the governor may run the cascade');
SELECT function_privs_are('outreach', 'fn_delete_outreach_cascade', ARRAY['uuid', 'text', 'text'], 'outreach_hub_writer',
                          ARRAY[]::text[], 'the hub writer may not');
SELECT function_privs_are('outreach', '_cascade_delete_spine_rows', ARRAY['uuid[]', 'text', 'text', 'text'],
                          'outreach_governor', ARRAY[]::text[], 'nobody but the owner may call the private cascade helper');
SELECT function_privs_are('outreach', 'fn_archive_orphans', ARRAY['text'], 'outreach_reader', ARRAY[]::text[],
                          'the reader may not archive orphans');
SELECT cl.fn_register_company('CAS-ROLE', 'role', 'role.example.com');
INSERT INTO outreach.outreach (company_unique_id) VALUES ('CAS-ROLE');
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT * FROM outreach.fn_delete_outreach_cascade(gen_random_uuid(), 'x', 'y')$$, '42501', NULL,
                 'as outreach_reader: 42501');
RESET ROLE;
SET LOCAL ROLE outreach_governor;
SELECT is((SELECT sum(deleted)::int FROM outreach.fn_delete_outreach_cascade(
              (SELECT outreach_id FROM outreach.outreach WHERE company_unique_id = 'CAS-ROLE'), 'role test', 'gov')), 1,
          'as outreach_governor: the cascade runs');
SELECT throws_ok($$SELECT * FROM outreach._cascade_delete_spine_rows(ARRAY[gen_random_uuid()], 'outreach_archive', 'x', 'y')$$,
                 '42501', NULL, 'as outreach_governor: the private helper is refused');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
