-- Engagement: events belong to a send and carry its ids (OG006);
-- UNSUBSCRIBE opts the target out (and the gate then blocks it); REPLY adds
-- one ENGAGEMENT_REPLY BIT signal; the table is append-only; vw_engagement_metrics; roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(30);
\ir fixtures/company.sql

-- a send cleared by a real gate pass; returns send_id
CREATE FUNCTION pg_temp.cleared_send(p_cid text, p_campaign text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE v_audit uuid; v_send bigint;
BEGIN
    SELECT g.audit_id INTO v_audit FROM outreach.fn_safety_gate_check(p_cid, p_campaign, 'pgtap', 'EMAIL', false) g WHERE g.is_eligible;
    INSERT INTO outreach.send_log (company_unique_id, campaign_id, channel, gate_audit_id)
    VALUES (p_cid, p_campaign, 'EMAIL', v_audit) RETURNING send_id INTO v_send;
    RETURN v_send;
END $f$;

SELECT pg_temp.mk_company(c) FROM unnest(ARRAY['EN-A', 'EN-B', 'EN-NONE']) AS c;
INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status) VALUES ('EN-EM', 'email', 'EMAIL', 1, 'active');
SELECT pg_temp.cleared_send('EN-A', 'EN-EM') AS send_a \gset
SELECT pg_temp.cleared_send('EN-B', 'EN-EM') AS send_b \gset

-- ---------------------------------------------------------------- events carry their send's ids
SELECT lives_ok(format('INSERT INTO outreach.engagement_events (send_id, outreach_id, company_unique_id, target_id, event_type)'
                       ' SELECT s.send_id, s.outreach_id, s.company_unique_id, s.target_id, %L FROM outreach.send_log s'
                       ' WHERE s.send_id = %s', 'OPEN', :send_a), 'an OPEN with its send''s ids is recorded');
SELECT lives_ok(format('INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (%s, %L)', :send_a, 'CLICK'),
                'a CLICK naming only its send ...');
SELECT results_eq(
    $$SELECT e.outreach_id, e.company_unique_id, e.target_id FROM outreach.engagement_events e
       WHERE e.send_id = $$ || :send_a || $$ AND e.event_type = 'CLICK'$$,
    $$SELECT s.outreach_id, s.company_unique_id, s.target_id FROM outreach.send_log s WHERE s.send_id = $$ || :send_a,
    '... gets the send''s ids');
SELECT count(*) AS ev0 FROM outreach.engagement_events \gset
SELECT throws_ok(format('INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (%s, %L)', -1, 'OPEN'),
                 'OG006', NULL, 'an unknown send: OG006');
SELECT throws_ok($$INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (NULL, 'OPEN')$$,
                 'OG006', NULL, 'no send: OG006');
SELECT throws_ok(format('INSERT INTO outreach.engagement_events (send_id, outreach_id, company_unique_id, target_id, event_type)'
                        ' SELECT %s, s.outreach_id, s.company_unique_id, s.target_id, %L FROM outreach.send_log s WHERE s.send_id = %s',
                        :send_a, 'OPEN', :send_b),
                 'OG006', NULL, 'an event of send A carrying send B''s ids: OG006');
SELECT throws_ok(format('INSERT INTO outreach.engagement_events (send_id, company_unique_id, event_type) VALUES (%s, %L, %L)',
                        :send_a, 'EN-B', 'OPEN'),
                 'OG006', NULL, 'an event of send A naming company B: OG006');
SELECT throws_ok(format('INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (%s, %L)', :send_a, 'FORWARD'),
                 '23514', NULL, 'an unknown event type is refused');
SELECT is((SELECT count(*) FROM outreach.engagement_events), :ev0::bigint, 'no refused event was recorded');

-- ---------------------------------------------------------------- UNSUBSCRIBE
SELECT is((SELECT outreach_status FROM outreach.company_target WHERE company_unique_id = 'EN-A'), 'active',
          'after its first send the target is active');
INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (:send_a, 'UNSUBSCRIBE');
SELECT is((SELECT outreach_status FROM outreach.company_target WHERE company_unique_id = 'EN-A'), 'opted_out',
          'UNSUBSCRIBE sets the target opted_out');
SELECT matches((SELECT status_reason FROM outreach.company_target WHERE company_unique_id = 'EN-A'), '^UNSUBSCRIBE',
               '... with the event as the reason');
SELECT is((SELECT outreach_status FROM outreach.vw_marketing_eligibility_with_overrides WHERE company_unique_id = 'EN-A'),
          'opted_out', '... the authoritative view shows it');
SELECT is((SELECT block_reason FROM outreach.fn_safety_gate_check('EN-A', 'EN-EM', 'pgtap')), 'OPTED_OUT',
          '... and the gate blocks the company: OPTED_OUT');
SELECT lives_ok(format('INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (%s, %L)', :send_a, 'UNSUBSCRIBE'),
                'a second UNSUBSCRIBE is recorded');
SELECT is((SELECT outreach_status FROM outreach.company_target WHERE company_unique_id = 'EN-B'), 'active',
          'another company''s target is untouched');

-- ---------------------------------------------------------------- REPLY
SELECT count(*) AS sig0 FROM outreach.bit_signals WHERE company_unique_id = 'EN-B' \gset
INSERT INTO outreach.engagement_events (send_id, event_type, occurred_at) VALUES (:send_b, 'REPLY', now() - interval '1 hour')
RETURNING event_id AS reply_id \gset
SELECT results_eq(
    $$SELECT signal_type, dedup_key, occurred_at, points FROM outreach.bit_signals
       WHERE company_unique_id = 'EN-B' AND signal_type = 'ENGAGEMENT_REPLY'$$,
    $$VALUES ('ENGAGEMENT_REPLY'::text, 'event:$$ || :reply_id || $$'::text, now() - interval '1 hour', 25::numeric)$$,
    'REPLY adds one ENGAGEMENT_REPLY signal at the reply''s time, dedup key event:<event_id>, the type''s points');
INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (:send_b, 'REPLY');
SELECT is((SELECT count(*)::int FROM outreach.bit_signals WHERE company_unique_id = 'EN-B' AND signal_type = 'ENGAGEMENT_REPLY'), 2,
          'a second reply is a second signal');
INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (:send_b, 'OPEN'), (:send_b, 'BOUNCE');
SELECT is((SELECT count(*)::int FROM outreach.bit_signals WHERE company_unique_id = 'EN-B'), :sig0 + 2,
          'OPEN and BOUNCE add no signal');

-- ---------------------------------------------------------------- append-only
SELECT throws_ok($$UPDATE outreach.engagement_events SET event_type = 'OPEN' WHERE event_type = 'UNSUBSCRIBE'$$, 'OG004', NULL,
                 'an UNSUBSCRIBE cannot be rewritten (OG004)');
SELECT throws_ok($$DELETE FROM outreach.engagement_events$$, 'OG004', NULL, 'events cannot be deleted (OG004)');
SELECT throws_ok($$TRUNCATE outreach.engagement_events$$, 'OG004', NULL, 'events cannot be truncated (OG004)');

-- ---------------------------------------------------------------- metrics
SELECT results_eq(
    $$SELECT sends, opens, clicks, replies, bounces, unsubscribes FROM outreach.vw_engagement_metrics m
        JOIN outreach.company_target t USING (outreach_id) WHERE t.company_unique_id IN ('EN-A', 'EN-B', 'EN-NONE')
       ORDER BY t.company_unique_id$$,
    $$VALUES (1::bigint, 1::bigint, 1::bigint, 0::bigint, 0::bigint, 2::bigint),
             (1, 1, 0, 2, 1, 0),
             (0, 0, 0, 0, 0, 0)$$,
    'vw_engagement_metrics counts sends and events per outreach_id (zeros for a target never sent to)');
SELECT is((SELECT company_unique_id FROM outreach.vw_engagement_metrics m
            WHERE m.outreach_id = (SELECT outreach_id FROM outreach.company_target WHERE company_unique_id = 'EN-A')), 'EN-A',
          'the metrics row names its company');
SELECT fk_ok('outreach', 'engagement_events', ARRAY['send_id', 'target_id', 'outreach_id', 'company_unique_id'],
             'outreach', 'send_log', ARRAY['send_id', 'target_id', 'outreach_id', 'company_unique_id'],
             'an event''s ids reference its send''s ids as a whole');

-- ---------------------------------------------------------------- roles
SET LOCAL ROLE outreach_sender;
SELECT lives_ok(format('INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (%s, %L)', :send_b, 'CLICK'),
                'the sender records engagement');
SELECT lives_ok(format('INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (%s, %L)', :send_b, 'REPLY'),
                '... a REPLY too (the signal is written for it)');
SELECT throws_ok($$UPDATE outreach.engagement_events SET event_type = 'OPEN'$$, '42501', NULL, 'the sender cannot update events');
RESET ROLE;
SET LOCAL ROLE outreach_reader;
SELECT throws_ok(format('INSERT INTO outreach.engagement_events (send_id, event_type) VALUES (%s, %L)', :send_b, 'OPEN'),
                 '42501', NULL, 'the reader cannot record engagement');
SELECT lives_ok($$SELECT * FROM outreach.vw_engagement_metrics$$, 'the reader can read vw_engagement_metrics');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
