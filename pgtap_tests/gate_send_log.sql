-- Send log: one gate pass clears exactly one send; a send is refused
-- (OG008) for every wrong audit row; the ids must be the target's (OG006); a
-- recorded send keeps its clearance; roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(43);
\ir fixtures/company.sql

-- ---------------------------------------------------------------- helpers
-- a gate verdict's audit_id
CREATE FUNCTION pg_temp.pass(p_cid text, p_campaign text, p_channel text DEFAULT 'EMAIL', p_dry boolean DEFAULT false)
RETURNS uuid LANGUAGE sql AS $f$
    SELECT g.audit_id FROM outreach.fn_safety_gate_check(p_cid, p_campaign, 'pgtap', p_channel, p_dry) g;
$f$;
-- the INSERT statement of a send, ids taken from the company's target
CREATE FUNCTION pg_temp.send_sql(p_cid text, p_campaign text, p_audit uuid, p_channel text DEFAULT 'EMAIL') RETURNS text
LANGUAGE sql AS $f$
    SELECT format('INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, channel, gate_audit_id)'
                  ' VALUES (%L, %L, %L, %L, %L, %L)', t.outreach_id, t.company_unique_id, t.target_id, p_campaign, p_channel, p_audit)
      FROM outreach.company_target t WHERE t.company_unique_id = p_cid;
$f$;
CREATE FUNCTION pg_temp.sends() RETURNS integer LANGUAGE sql AS $f$ SELECT count(*)::int FROM outreach.send_log WHERE company_unique_id LIKE 'SL-%' $f$;

SELECT pg_temp.mk_company(c) FROM unnest(ARRAY['SL-A', 'SL-B', 'SL-BO', 'SL-KS', 'SL-OPT', 'SL-ROLE']) AS c;
SELECT outreach.set_marketing_override('SL-BO', 'BLOCK_OUTREACH', 'pgtap', 'pgtap');
INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status) VALUES
    ('SL-EM', 'email', 'EMAIL', 1, 'active'), ('SL-EM2', 'email 2', 'EMAIL', 1, 'active'), ('SL-PH', 'phone', 'PHONE', 1, 'active');

-- ---------------------------------------------------------------- one pass, one send
SELECT pg_temp.pass('SL-A', 'SL-EM') AS pass1 \gset
SELECT lives_ok(pg_temp.send_sql('SL-A', 'SL-EM', :'pass1'), 'a fresh passing verdict clears a send');
SELECT is((SELECT count(*)::int FROM outreach.send_log WHERE gate_audit_id = :'pass1'), 1, '... recorded once');
SELECT throws_ok(pg_temp.send_sql('SL-A', 'SL-EM', :'pass1'), 'OG008', NULL, 'the same verdict never clears a second send (OG008)');
SELECT is(pg_temp.sends(), 1, '... still one send');
SELECT pg_temp.pass('SL-A', 'SL-EM') AS pass2 \gset
SELECT throws_ok(format('INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id)'
                        ' VALUES (%L, %L, %L, %L), (%L, %L, %L, %L)',
                        'SL-A', 'SL-EM', 'EMAIL', :'pass2', 'SL-A', 'SL-EM', 'EMAIL', :'pass2'),
                 'OG008', NULL, 'one statement naming one verdict twice is refused (OG008)');
SELECT is(pg_temp.sends(), 1, '... nothing of it recorded');
SELECT lives_ok(format('INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id) VALUES (%L, %L, %L, %L)',
                       'SL-A', 'SL-EM', 'EMAIL', :'pass2'),
                'outreach_id and target_id may be omitted ...');
SELECT results_eq(
    $$SELECT s.outreach_id, s.target_id FROM outreach.send_log s WHERE s.gate_audit_id = '$$ || :'pass2' || $$'$$,
    $$SELECT t.outreach_id, t.target_id FROM outreach.company_target t WHERE t.company_unique_id = 'SL-A'$$,
    '... they are filled in from the Company Target');
SELECT pg_temp.pass('SL-A', 'SL-PH', 'PHONE') AS pass_ph \gset
SELECT lives_ok(pg_temp.send_sql('SL-A', 'SL-PH', :'pass_ph', 'PHONE'), 'a phone verdict clears a phone send');

-- ---------------------------------------------------------------- a send refused for each wrong audit row
SELECT pg_temp.sends() AS s0 \gset
SELECT throws_ok(pg_temp.send_sql('SL-BO', 'SL-EM', pg_temp.pass('SL-BO', 'SL-EM')), 'OG008', NULL, 'blocked verdict: OG008');
SELECT throws_ok(pg_temp.send_sql('SL-A', 'SL-EM', pg_temp.pass('SL-A', 'SL-EM', 'EMAIL', true)), 'OG008', NULL, 'dry-run verdict: OG008');
SELECT throws_ok(pg_temp.send_sql('SL-B', 'SL-EM', pg_temp.pass('SL-A', 'SL-EM')), 'OG008', NULL, 'verdict for another company: OG008');
SELECT throws_ok(pg_temp.send_sql('SL-A', 'SL-EM2', pg_temp.pass('SL-A', 'SL-EM')), 'OG008', NULL, 'verdict for another campaign: OG008');
SELECT throws_ok(pg_temp.send_sql('SL-A', 'SL-PH', pg_temp.pass('SL-A', 'SL-PH', 'PHONE'), 'EMAIL'), 'OG008', NULL,
                 'verdict for another channel: OG008');
SELECT throws_ok(pg_temp.send_sql('SL-A', 'SL-EM', gen_random_uuid()), 'OG008', NULL, 'unknown audit id: OG008');
SELECT throws_ok(pg_temp.send_sql('SL-A', 'SL-EM', NULL), 'OG008', NULL, 'no audit id: OG008');
SELECT throws_ok(pg_temp.send_sql('SL-A', 'SL-EM', pg_temp.pass('SL-A', 'NO-SUCH')), 'OG008', NULL,
                 'an ELIGIBILITY_CHECK_FAILED verdict: OG008');
-- verdicts 16 and 14 minutes old (written directly: the gate stamps its own time)
INSERT INTO outreach.send_attempt_audit (audit_id, company_unique_id, campaign_id, correlation_id, channel, computed_tier,
                                         effective_tier, was_blocked, block_reason, is_dry_run, attempt_timestamp)
VALUES ('00000000-0000-4000-8000-000000000016', 'SL-A', 'SL-EM', 'old', 'EMAIL', 1, 1, false, NULL, false,
        clock_timestamp() - interval '16 minutes'),
       ('00000000-0000-4000-8000-000000000014', 'SL-A', 'SL-EM', 'recent', 'EMAIL', 1, 1, false, NULL, false,
        clock_timestamp() - interval '14 minutes');
SELECT throws_ok(pg_temp.send_sql('SL-A', 'SL-EM', '00000000-0000-4000-8000-000000000016'), 'OG008', NULL,
                 'a verdict older than 15 minutes: OG008');
SELECT is(pg_temp.sends(), :s0, 'none of the refused sends was recorded');
SELECT lives_ok(pg_temp.send_sql('SL-A', 'SL-EM', '00000000-0000-4000-8000-000000000014'),
                'a 14-minute-old passing verdict still clears a send');

-- ---------------------------------------------------------------- the kill switch voids earlier verdicts
SELECT pg_temp.pass('SL-KS', 'SL-EM') AS ks1 \gset
SELECT outreach.set_marketing_override('SL-KS', 'BLOCK_PHONE', 'calls only', 'pgtap');
SELECT throws_ok(pg_temp.send_sql('SL-KS', 'SL-EM', :'ks1'), 'OG008', NULL,
                 'any override change after the verdict voids it (even a BLOCK_PHONE for an email send)');
SELECT pg_temp.pass('SL-KS', 'SL-EM') AS ks2 \gset
SELECT lives_ok(pg_temp.send_sql('SL-KS', 'SL-EM', :'ks2'), 'a verdict taken after the change clears the send');
SELECT pg_temp.pass('SL-KS', 'SL-EM') AS ks3 \gset
SELECT outreach.remove_marketing_override('SL-KS', 'BLOCK_PHONE', 'over', 'pgtap');
SELECT throws_ok(pg_temp.send_sql('SL-KS', 'SL-EM', :'ks3'), 'OG008', NULL, 'a removal after the verdict voids it too');
SELECT pg_temp.pass('SL-OPT', 'SL-EM') AS opt1 \gset
SELECT outreach.fn_set_outreach_status(t.target_id, 'opted_out', 'pgtap') FROM outreach.company_target t WHERE t.company_unique_id = 'SL-OPT';
SELECT throws_ok(pg_temp.send_sql('SL-OPT', 'SL-EM', :'opt1'), 'OG008', NULL, 'an opt-out after the verdict refuses the send');

-- ---------------------------------------------------------------- ids must be the target's (OG006)
SELECT pg_temp.pass('SL-B', 'SL-EM') AS b1 \gset
SELECT pg_temp.sends() AS s1 \gset
SELECT throws_ok(format('INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, channel, gate_audit_id)'
                        ' SELECT a.outreach_id, %L, a.target_id, %L, %L, %L FROM outreach.company_target a WHERE a.company_unique_id = %L',
                        'SL-B', 'SL-EM', 'EMAIL', :'b1', 'SL-A'),
                 'OG006', NULL, 'company of one target, ids of another: OG006');
SELECT throws_ok(format('INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, channel, gate_audit_id)'
                        ' SELECT gen_random_uuid(), t.company_unique_id, t.target_id, %L, %L, %L FROM outreach.company_target t'
                        ' WHERE t.company_unique_id = %L', 'SL-EM', 'EMAIL', :'b1', 'SL-B'),
                 'OG006', NULL, 'a wrong outreach_id: OG006');
SELECT throws_ok(format('INSERT INTO outreach.send_log (company_unique_id, target_id, campaign_id, channel, gate_audit_id)'
                        ' VALUES (%L, %L, %L, %L, %L)', 'SL-B', 'TGT-NOPE-1', 'SL-EM', 'EMAIL', :'b1'),
                 'OG006', NULL, 'an unknown target: OG006');
SELECT throws_ok(format('INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id)'
                        ' VALUES (%L, %L, %L, %L)', '  ', 'SL-EM', 'EMAIL', :'b1'),
                 'OG001', NULL, 'a blank company: OG001');
SELECT is(pg_temp.sends(), :s1, 'nothing recorded');
SELECT lives_ok(pg_temp.send_sql('SL-B', 'SL-EM', :'b1'), '... and the verdict is still unused: it clears the right send');

-- ---------------------------------------------------------------- a recorded send keeps its clearance
SELECT pg_temp.pass('SL-B', 'SL-EM') AS b2 \gset
SELECT throws_ok(format('UPDATE outreach.send_log SET gate_audit_id = %L WHERE gate_audit_id = %L', :'b2', :'b1'), 'OG008', NULL,
                 'a send cannot be moved to another verdict');
SELECT throws_ok(format('UPDATE outreach.send_log SET campaign_id = %L WHERE gate_audit_id = %L', 'SL-EM2', :'b1'), 'OG008', NULL,
                 'a send cannot be moved to another campaign');
SELECT throws_ok(format('UPDATE outreach.send_log SET channel = %L WHERE gate_audit_id = %L', 'PHONE', :'b1'), 'OG008', NULL,
                 'a send cannot be moved to another channel');
SELECT lives_ok(format('UPDATE outreach.send_log SET person_id = %L WHERE gate_audit_id = %L', 'person-1', :'b1'),
                'other columns may be corrected');

-- ---------------------------------------------------------------- schema-level keys
SELECT col_is_unique('outreach', 'send_log', ARRAY['gate_audit_id'], 'gate_audit_id is UNIQUE: one verdict, one send');
SELECT fk_ok('outreach', 'send_log', ARRAY['target_id', 'outreach_id', 'company_unique_id'],
             'outreach', 'company_target', ARRAY['target_id', 'outreach_id', 'company_unique_id'],
             'send_log ids reference the target''s ids as a whole');
SELECT is((SELECT string_agg(tgname || ':' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger
            WHERE tgrelid = 'outreach.send_log'::regclass
              AND tgname IN ('trg_send_log_001_kill_switch_lock', 'trg_send_log_010_gate_guard', 'trg_send_log_011_clearance_immutable')),
          'trg_send_log_001_kill_switch_lock:A,trg_send_log_010_gate_guard:A,trg_send_log_011_clearance_immutable:A',
          'the guards fire ALWAYS (also under session_replication_role = replica)');

-- ---------------------------------------------------------------- roles
SET LOCAL ROLE outreach_sender;
SELECT pg_temp.pass('SL-ROLE', 'SL-EM') AS r1 \gset
SELECT lives_ok(format('INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id) VALUES (%L, %L, %L, %L)',
                       'SL-ROLE', 'SL-EM', 'EMAIL', :'r1'), 'the sender runs the gate and records the send');
SELECT throws_ok(format('INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id) VALUES (%L, %L, %L, %L)',
                        'SL-ROLE', 'SL-EM', 'EMAIL', gen_random_uuid()), 'OG008', NULL, 'the sender is held to the gate too');
SELECT throws_ok($$UPDATE outreach.send_log SET person_id = 'x'$$, '42501', NULL, 'the sender cannot update sends');
SELECT throws_ok($$DELETE FROM outreach.send_log$$, '42501', NULL, 'the sender cannot delete sends');
RESET ROLE;
SELECT pg_temp.pass('SL-ROLE', 'SL-EM') AS r2 \gset
SET LOCAL ROLE outreach_reader;
SELECT throws_ok(format('INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id) VALUES (%L, %L, %L, %L)',
                        'SL-ROLE', 'SL-EM', 'EMAIL', :'r2'), '42501', NULL, 'the reader cannot record sends');
RESET ROLE;
SET LOCAL ROLE outreach_hub_writer;
SELECT throws_ok(format('INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id) VALUES (%L, %L, %L, %L)',
                        'SL-ROLE', 'SL-EM', 'EMAIL', :'r2'), '42501', NULL, 'the hub writer cannot record sends');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
