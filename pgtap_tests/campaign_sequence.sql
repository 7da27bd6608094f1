-- Campaign orchestration: a multi-step sequence played forward in
-- time with p_as_of (who is due when), and the outreach_status transitions of
-- a send: queued -> active on the first send, -> exhausted once the final step
-- of every active campaign the target is in was sent; paused and opted_out
-- targets never move. Sends go through the real gate (OG008 guard).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(53);
\ir fixtures/company.sql

-- ---------------------------------------------------------------- helpers
-- simulated day d of the campaign
CREATE FUNCTION pg_temp.t(p_days numeric) RETURNS timestamptz LANGUAGE sql AS $f$
    SELECT date_trunc('day', now()) - interval '60 days' + p_days * interval '1 day';
$f$;
-- one send through the gate: step p_step (NULL: a send outside the sequence) at simulated time p_at
CREATE FUNCTION pg_temp.send(p_cid text, p_campaign text, p_step int, p_at timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $f$
DECLARE v_channel text; v_audit uuid; v_ok boolean; v_reason text; v_send bigint;
BEGIN
    SELECT c.channel INTO v_channel FROM outreach.campaigns c WHERE c.campaign_id = p_campaign;
    SELECT g.audit_id, g.is_eligible, g.block_reason INTO v_audit, v_ok, v_reason
      FROM outreach.fn_safety_gate_check(p_cid, p_campaign, 'pgtap-seq', v_channel) g;
    IF NOT v_ok THEN
        RAISE EXCEPTION 'test setup: the gate blocked % in %: %', p_cid, p_campaign, v_reason;
    END IF;
    INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, sequence_id, channel,
                                   gate_audit_id, sent_at)
    SELECT t.outreach_id, t.company_unique_id, t.target_id, p_campaign,
           (SELECT s.sequence_id FROM outreach.sequences s WHERE s.campaign_id = p_campaign AND s.step_number = p_step),
           v_channel, v_audit, p_at
      FROM outreach.company_target t WHERE t.company_unique_id = p_cid
    RETURNING send_id INTO v_send;
    RETURN v_send;
END $f$;
CREATE FUNCTION pg_temp.status(p_cid text) RETURNS text LANGUAGE sql AS $f$
    SELECT t.outreach_status FROM outreach.company_target t WHERE t.company_unique_id = p_cid;
$f$;
-- 'company:step' of the given companies due in p_campaign as of p_as_of, in plan order
CREATE FUNCTION pg_temp.due(p_campaign text, p_as_of timestamptz, p_companies text[]) RETURNS text[]
LANGUAGE sql AS $f$
    SELECT coalesce(array_agg(p.company_unique_id || ':' || p.step_number ORDER BY p.n), '{}')
      FROM outreach.fn_plan_campaign_sends(p_campaign, 100000, p_as_of) WITH ORDINALITY
           AS p(company_unique_id, outreach_id, target_id, sequence_id, step_number, bit_score, effective_tier, n)
     WHERE p.company_unique_id = ANY (p_companies);
$f$;

SELECT pg_temp.mk_company('SEQ-' || c)
  FROM unnest(ARRAY['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'O', 'R', 'S', 'X']) AS c;
SELECT outreach.fn_create_campaign('SEQ-3', 'three steps', 'EMAIL',
    '[{"template_id": "s1"}, {"template_id": "s2", "delay_days": 2}, {"template_id": "s3", "delay_days": 5}]', 1, 'active');
SELECT outreach.fn_create_campaign('SEQ-ONE', 'one step', 'EMAIL', '[{"template_id": "only"}]', 1, 'active');
SELECT outreach.fn_create_campaign('SEQ-OTHER', 'two steps', 'EMAIL', '[{}, {"delay_days": 1}]', 1, 'active');

-- ---------------------------------------------------------------- wiring
SELECT trigger_is('outreach', 'send_log', 'trg_send_log_500_status_transition', 'outreach', 'tg_send_log__after_insert',
                  'send_log has the status transition trigger');
SELECT trigger_is('outreach', 'send_log', 'trg_send_log_005_lock_target', 'outreach', 'tg_send_log__before_insert_lock_target',
                  'send_log locks the target before the gate guard');
SELECT is((SELECT string_agg(t.tgname || '=' || t.tgenabled::text, ',' ORDER BY t.tgname) FROM pg_trigger t
            WHERE t.tgrelid = 'outreach.send_log'::regclass
              AND t.tgname IN ('trg_send_log_005_lock_target', 'trg_send_log_500_status_transition')),
          'trg_send_log_005_lock_target=A,trg_send_log_500_status_transition=A', 'both are enabled ALWAYS');
SELECT is_definer('outreach', f, ARRAY[]::text[], f || ' is SECURITY DEFINER (the sender holds no UPDATE on company_target)')
  FROM unnest(ARRAY['tg_send_log__after_insert', 'tg_send_log__before_insert_lock_target']) AS f;
SELECT function_privs_are('outreach', f, ARRAY[]::text[], 'outreach_sender', ARRAY[]::text[],
                          'nobody may call ' || f || ' directly')
  FROM unnest(ARRAY['tg_send_log__after_insert', 'tg_send_log__before_insert_lock_target']) AS f;
SELECT table_privs_are('outreach', 'company_target', 'outreach_sender', ARRAY['SELECT'],
                       'the sender only reads company_target');

-- ---------------------------------------------------------------- played forward: A and B
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(0), '{SEQ-A,SEQ-B}'), '{SEQ-A:1,SEQ-B:1}', 'day 0: step 1 due for both');
SELECT is(pg_temp.status('SEQ-A'), 'queued', 'A starts queued');
SELECT pg_temp.send('SEQ-A', 'SEQ-3', 1, pg_temp.t(0));
SELECT is(pg_temp.status('SEQ-A'), 'active', 'A turns active on its first send');
SELECT is(pg_temp.status('SEQ-B'), 'queued', 'B, not sent to, stays queued');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(0), '{SEQ-A,SEQ-B}'), '{SEQ-B:1}', 'day 0 after the send: A has nothing due');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(1.99), '{SEQ-A,SEQ-B}'), '{SEQ-B:1}',
          'day 1.99: A''s step 2 (delay 2 days) is not due yet');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(2), '{SEQ-A,SEQ-B}'), '{SEQ-A:2,SEQ-B:1}',
          'day 2: A''s step 2 is due exactly delay_days after step 1 was sent');
SELECT pg_temp.send('SEQ-A', 'SEQ-3', 2, pg_temp.t(2));
SELECT pg_temp.send('SEQ-B', 'SEQ-3', 1, pg_temp.t(2));
SELECT is(pg_temp.status('SEQ-A'), 'active', 'A after step 2 of 3: still active');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(1), '{SEQ-A,SEQ-B}'), '{SEQ-B:1}',
          'as of day 1 the day-2 sends do not count: B still due step 1, A not due');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(4), '{SEQ-A,SEQ-B}'), '{SEQ-B:2}', 'day 4: B step 2 (2 days after its step 1)');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(6.9), '{SEQ-A,SEQ-B}'), '{SEQ-B:2}',
          'day 6.9: A''s step 3 waits for ITS delay (5 days after step 2)');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(7), '{SEQ-A,SEQ-B}'), '{SEQ-A:3,SEQ-B:2}', 'day 7: A step 3, B step 2');
SELECT results_eq(
    $$SELECT p.sequence_id FROM outreach.fn_plan_campaign_sends('SEQ-3', 100000, pg_temp.t(7)) p
       WHERE p.company_unique_id = 'SEQ-A'$$,
    $$SELECT s.sequence_id FROM outreach.sequences s WHERE s.campaign_id = 'SEQ-3' AND s.step_number = 3$$,
    'the planned sequence_id is the due step''s');
SELECT pg_temp.send('SEQ-A', 'SEQ-3', 3, pg_temp.t(7));
SELECT is(pg_temp.status('SEQ-A'), 'exhausted', 'A turns exhausted once the final step of its only campaign was sent');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(30), '{SEQ-A,SEQ-B}'), '{SEQ-B:2}', 'an exhausted target is never planned');
SELECT pg_temp.send('SEQ-B', 'SEQ-3', 2, pg_temp.t(4));
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(8.99), '{SEQ-A,SEQ-B}'), '{}', 'day 8.99: B''s step 3 is due on day 9');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(9), '{SEQ-A,SEQ-B}'), '{SEQ-B:3}', 'day 9: B step 3');
SELECT pg_temp.send('SEQ-B', 'SEQ-3', 3, pg_temp.t(9));
SELECT is(pg_temp.status('SEQ-B'), 'exhausted', 'B exhausted after its final step');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(365), '{SEQ-A,SEQ-B}'), '{}', 'nobody of A, B is ever due again');

-- ---------------------------------------------------------------- several campaigns
SELECT pg_temp.send('SEQ-C', 'SEQ-ONE', 1, pg_temp.t(0));
SELECT is(pg_temp.status('SEQ-C'), 'exhausted', 'C: its first send is the last step of its only campaign: exhausted');
SELECT pg_temp.send('SEQ-C', 'SEQ-3', 1, pg_temp.t(1));
SELECT is(pg_temp.status('SEQ-C'), 'active', 'C: a send in another active campaign makes it active again (steps remain)');
SELECT pg_temp.send('SEQ-C', 'SEQ-3', 2, pg_temp.t(3));
SELECT pg_temp.send('SEQ-C', 'SEQ-3', 3, pg_temp.t(8));
SELECT is(pg_temp.status('SEQ-C'), 'exhausted', 'C: exhausted once both campaigns'' final steps were sent');

SELECT pg_temp.send('SEQ-D', 'SEQ-3', 1, pg_temp.t(0));
SELECT pg_temp.send('SEQ-D', 'SEQ-ONE', 1, pg_temp.t(0));
SELECT is(pg_temp.status('SEQ-D'), 'active', 'D: SEQ-ONE done but SEQ-3 is not: active');
SELECT is(pg_temp.due('SEQ-ONE', pg_temp.t(30), '{SEQ-D}'), '{}', 'D: nothing more due in the finished campaign');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(2), '{SEQ-D}'), '{SEQ-D:2}', 'D: still due in the unfinished one');
SELECT pg_temp.send('SEQ-D', 'SEQ-3', 2, pg_temp.t(2));
SELECT pg_temp.send('SEQ-D', 'SEQ-3', 3, pg_temp.t(7));
SELECT is(pg_temp.status('SEQ-D'), 'exhausted', 'D: exhausted after the final step of its last unfinished campaign');

-- a campaign that is not active does not hold a target back
SELECT pg_temp.send('SEQ-E', 'SEQ-OTHER', 1, pg_temp.t(0));
UPDATE outreach.campaigns SET status = 'paused' WHERE campaign_id = 'SEQ-OTHER';
SELECT pg_temp.send('SEQ-E', 'SEQ-ONE', 1, pg_temp.t(1));
SELECT is(pg_temp.status('SEQ-E'), 'exhausted',
          'E: only ACTIVE campaigns count: SEQ-OTHER (paused, step 2 unsent) does not keep it active');
UPDATE outreach.campaigns SET status = 'active' WHERE campaign_id = 'SEQ-OTHER';

-- ---------------------------------------------------------------- paused and opted_out never move
SELECT outreach.fn_set_outreach_status(outreach.fn_create_company_target('SEQ-F'), 'paused', 'pgtap');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(0), '{SEQ-F}'), '{}', 'F (paused) is not planned');
SELECT pg_temp.send('SEQ-F', 'SEQ-3', 1, pg_temp.t(0));
SELECT is(pg_temp.status('SEQ-F'), 'paused', 'F: a send does not move a paused target');
SELECT pg_temp.send('SEQ-F', 'SEQ-3', 2, pg_temp.t(2));
SELECT pg_temp.send('SEQ-F', 'SEQ-3', 3, pg_temp.t(7));
SELECT is(pg_temp.status('SEQ-F'), 'paused', 'F: nor does its final step');

CREATE TEMP TABLE o_verdict AS
SELECT g.audit_id FROM outreach.fn_safety_gate_check('SEQ-O', 'SEQ-3', 'pgtap-seq', 'EMAIL') g WHERE g.is_eligible;
SELECT outreach.fn_set_outreach_status(outreach.fn_create_company_target('SEQ-O'), 'opted_out', 'pgtap');
SELECT throws_ok(
    $$INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, channel, gate_audit_id)
      SELECT t.outreach_id, t.company_unique_id, t.target_id, 'SEQ-3', 'EMAIL', (SELECT audit_id FROM o_verdict)
        FROM outreach.company_target t WHERE t.company_unique_id = 'SEQ-O'$$,
    'OG008', NULL, 'O: opted out after its verdict: the send is refused');
SELECT is(pg_temp.status('SEQ-O'), 'opted_out', 'O stays opted_out');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(0), '{SEQ-O}'), '{}', 'O (opted_out) is not planned');

-- ---------------------------------------------------------------- sends outside the sequence, resends, bulk
SELECT pg_temp.send('SEQ-G', 'SEQ-3', NULL, pg_temp.t(0));
SELECT is(pg_temp.status('SEQ-G'), 'active', 'G: a send outside the sequence (no step) is a first send too');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(0), '{SEQ-G}'), '{SEQ-G:1}', 'G: but it does not advance the sequence');

SELECT pg_temp.send('SEQ-R', 'SEQ-3', 1, pg_temp.t(0));
SELECT pg_temp.send('SEQ-R', 'SEQ-3', 1, pg_temp.t(3));
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(4.99), '{SEQ-R}'), '{}', 'R: a resent step counts from its latest send');
SELECT is(pg_temp.due('SEQ-3', pg_temp.t(5), '{SEQ-R}'), '{SEQ-R:2}', 'R: step 2 due 2 days after the resend');

CREATE TEMP TABLE hi_verdicts AS
SELECT c AS company_unique_id, g.audit_id
  FROM unnest(ARRAY['SEQ-H', 'SEQ-I']) AS c,
       LATERAL outreach.fn_safety_gate_check(c, 'SEQ-ONE', 'pgtap-seq', 'EMAIL') g;
INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, sequence_id, channel, gate_audit_id)
SELECT t.outreach_id, t.company_unique_id, t.target_id, 'SEQ-ONE',
       (SELECT s.sequence_id FROM outreach.sequences s WHERE s.campaign_id = 'SEQ-ONE'), 'EMAIL', v.audit_id
  FROM hi_verdicts v JOIN outreach.company_target t USING (company_unique_id);
SELECT is(pg_temp.status('SEQ-H') || ',' || pg_temp.status('SEQ-I'), 'exhausted,exhausted',
          'one INSERT of two sends moves both targets');

-- a send naming a step of another campaign is refused; nothing changes
CREATE TEMP TABLE x_verdict AS
SELECT g.audit_id FROM outreach.fn_safety_gate_check('SEQ-X', 'SEQ-3', 'pgtap-seq', 'EMAIL') g;
SELECT throws_ok(
    $$INSERT INTO outreach.send_log (outreach_id, company_unique_id, target_id, campaign_id, sequence_id, channel, gate_audit_id)
      SELECT t.outreach_id, t.company_unique_id, t.target_id, 'SEQ-3',
             (SELECT s.sequence_id FROM outreach.sequences s WHERE s.campaign_id = 'SEQ-ONE'), 'EMAIL',
             (SELECT audit_id FROM x_verdict)
        FROM outreach.company_target t WHERE t.company_unique_id = 'SEQ-X'$$,
    '23503', NULL, 'a send naming another campaign''s step is refused (23503)');
SELECT is((SELECT count(*) FROM outreach.send_log WHERE company_unique_id = 'SEQ-X'), 0::bigint, 'X: no send recorded');
SELECT is(pg_temp.status('SEQ-X'), 'queued', 'X: still queued');

-- ---------------------------------------------------------------- as the sender
SET LOCAL ROLE outreach_sender;
SELECT throws_ok($$UPDATE outreach.company_target SET outreach_status = 'active' WHERE company_unique_id = 'SEQ-S'$$,
                 '42501', NULL, 'the sender cannot update company_target itself');
SELECT lives_ok($$SELECT pg_temp.send('SEQ-S', 'SEQ-3', 1, now())$$, 'the sender sends step 1 through the gate');
RESET ROLE;
SELECT is(pg_temp.status('SEQ-S'), 'active', 'S: the sender''s send moved the target (SECURITY DEFINER trigger)');
SELECT is(pg_temp.due('SEQ-3', now() + interval '2 days', '{SEQ-S}'), '{SEQ-S:2}', 'S: step 2 due two days later');

SELECT * FROM finish();
ROLLBACK;
