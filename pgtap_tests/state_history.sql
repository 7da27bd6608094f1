-- The state history (db/1300): every change of CL eligibility and binding, of a hub status and of a target's
-- outreach_status leaves one row, written in the changing transaction; the history is append-only and sealed.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(21);
\ir fixtures/company.sql

CREATE FUNCTION pg_temp.cl_history(p_cid text) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT h.operation || ':' || h.eligibility_status || ':' || (h.outreach_id IS NOT NULL)::text
      FROM cl.company_identity_history h WHERE h.company_unique_id = p_cid ORDER BY h.history_id;
$$;
CREATE FUNCTION pg_temp.hub_history(p_cid text, p_hub text) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT h.operation || ':' || coalesce(h.status, '-') || ':' || coalesce(h.status_reason, '-')
      FROM outreach.company_hub_status_history h
     WHERE h.company_unique_id = p_cid AND h.hub_id = p_hub ORDER BY h.history_id;
$$;
CREATE FUNCTION pg_temp.target_history(p_cid text) RETURNS SETOF text LANGUAGE sql AS $$
    SELECT h.operation || ':' || coalesce(h.outreach_status, '-')
      FROM outreach.company_target_status_history h WHERE h.company_unique_id = p_cid ORDER BY h.history_id;
$$;

-- ---------------------------------------------------------------- CL: registration, binding, eligibility
SELECT cl.fn_register_company('HIST-CL', 'History Co', 'hist-cl.example.com');
SELECT results_eq($$SELECT * FROM pg_temp.cl_history('HIST-CL')$$, ARRAY['INSERT:ELIGIBLE:false'],
                  'a registration writes one INSERT row');
SELECT outreach.fn_mint_outreach_id('HIST-CL');
SELECT cl.fn_register_company('HIST-CL', 'History Co renamed', 'hist-cl.example.com');
SELECT cl.fn_register_company('HIST-CL', 'History Co renamed', 'hist-cl.example.com', 'INELIGIBLE');
SELECT cl.fn_register_company('HIST-CL', 'History Co renamed', 'hist-cl.example.com', 'INELIGIBLE');
SELECT results_eq($$SELECT * FROM pg_temp.cl_history('HIST-CL')$$,
                  ARRAY['INSERT:ELIGIBLE:false', 'UPDATE:ELIGIBLE:true', 'UPDATE:INELIGIBLE:true'],
                  'the binding and the flip each write a row; a new name or an unchanged re-registration none');
SELECT is((SELECT h.outreach_id FROM cl.company_identity_history h
            WHERE h.company_unique_id = 'HIST-CL' AND h.outreach_id IS NOT NULL ORDER BY h.history_id LIMIT 1),
          pg_temp.oid('HIST-CL'), 'the binding row carries the outreach_id');
SELECT is((SELECT count(*)::int FROM cl.company_identity_history h
            WHERE h.company_unique_id = 'HIST-CL' AND h.changed_by = session_user
              AND h.changed_at BETWEEN now() AND clock_timestamp()),
          3, 'each row names the session user and the server time of the change');

-- ---------------------------------------------------------------- hub statuses
SELECT pg_temp.mk_company('HIST-HUB', 0);
SELECT results_eq($$SELECT * FROM pg_temp.hub_history('HIST-HUB', 'dol-filings')$$,
                  ARRAY['INSERT:IN_PROGRESS:created with Company Target '
                        || (SELECT target_id FROM outreach.company_target WHERE company_unique_id = 'HIST-HUB')],
                  'a hub-status row created by the target writes an INSERT row');
SELECT is((SELECT count(*)::int FROM outreach.company_hub_status_history h WHERE h.company_unique_id = 'HIST-HUB'),
          (SELECT count(*)::int FROM outreach.hub_registry WHERE is_required), 'one per required hub');
SELECT outreach.fn_set_hub_status('HIST-HUB', 'dol-filings', 'FAIL', 'no filing');
SELECT outreach.fn_set_hub_status('HIST-HUB', 'dol-filings', 'FAIL', 'no filing');
SELECT outreach.fn_set_hub_status('HIST-HUB', 'dol-filings', 'FAIL', 'no filing, second source');
SELECT outreach.fn_set_hub_status('HIST-HUB', 'blog-content', 'BLOCKED', 'provider down');
SELECT results_eq($$SELECT * FROM pg_temp.hub_history('HIST-HUB', 'dol-filings') OFFSET 1$$,
                  ARRAY['UPDATE:FAIL:no filing', 'UPDATE:FAIL:no filing, second source'],
                  'a new status or reason writes an UPDATE row; the same status and reason again none');
SELECT results_eq($$SELECT * FROM pg_temp.hub_history('HIST-HUB', 'blog-content')$$,
                  ARRAY['INSERT:BLOCKED:provider down'], 'the upsert of a new row writes an INSERT row');

-- set-based: one evaluation promotes several rows of several companies, one row each
SELECT pg_temp.mk_company('HIST-EV1', 1);
SELECT pg_temp.mk_company('HIST-EV2', 1);
SELECT outreach.fn_set_hub_status(c, h, 'IN_PROGRESS', 'pgtap reset')
  FROM unnest(ARRAY['HIST-EV1', 'HIST-EV2']) AS c, unnest(ARRAY['dol-filings', 'talent-flow']) AS h;
CREATE TEMP TABLE hub_before AS SELECT max(history_id) AS last_id FROM outreach.company_hub_status_history;
SELECT is(outreach.fn_evaluate_hub_statuses(pg_temp.oid('HIST-EV1'))
          + outreach.fn_evaluate_hub_statuses(pg_temp.oid('HIST-EV2')), 4, 'the evaluation promotes four rows');
SELECT set_eq($$SELECT company_unique_id || ':' || hub_id || ':' || operation || ':' || status
                  FROM outreach.company_hub_status_history
                 WHERE history_id > (SELECT last_id FROM hub_before)$$,
              ARRAY['HIST-EV1:dol-filings:UPDATE:PASS', 'HIST-EV1:talent-flow:UPDATE:PASS',
                    'HIST-EV2:dol-filings:UPDATE:PASS', 'HIST-EV2:talent-flow:UPDATE:PASS'],
              '... and exactly those four promotions are recorded');

-- ---------------------------------------------------------------- targets' outreach_status
SELECT results_eq($$SELECT * FROM pg_temp.target_history('HIST-HUB')$$, ARRAY['INSERT:queued'],
                  'a Company Target created writes an INSERT row');
SELECT outreach.fn_update_company_target(t.target_id, 'ready', 'pattern', '{first}', 0.5, true)
  FROM outreach.company_target t WHERE t.company_unique_id = 'HIST-HUB';
SELECT outreach.fn_set_outreach_status(t.target_id, 'opted_out', 'asked to stop')
  FROM outreach.company_target t WHERE t.company_unique_id = 'HIST-HUB';
SELECT outreach.fn_set_outreach_status(t.target_id, 'opted_out', 'asked to stop, confirmed')
  FROM outreach.company_target t WHERE t.company_unique_id = 'HIST-HUB';
SELECT results_eq($$SELECT * FROM pg_temp.target_history('HIST-HUB')$$,
                  ARRAY['INSERT:queued', 'UPDATE:opted_out', 'UPDATE:opted_out'],
                  'a status change and a new reason each write a row; an update of other columns none');
SELECT is((SELECT status_reason FROM outreach.company_target_status_history
            WHERE company_unique_id = 'HIST-HUB' ORDER BY history_id DESC LIMIT 1), 'asked to stop, confirmed',
          'the row carries the reason');

-- ---------------------------------------------------------------- deletions (the cascade of an orphan)
SELECT cl.fn_register_company('HIST-ORPHAN', 'Orphan', 'orphan.example.com');
INSERT INTO outreach.outreach (company_unique_id) VALUES ('HIST-ORPHAN');
INSERT INTO outreach.company_target (target_id, outreach_id, company_unique_id)
SELECT 'TGT-HIST-ORP-' || nextval('outreach.company_target_seq'), pg_temp.oid('HIST-ORPHAN'), 'HIST-ORPHAN';
SELECT shq.fn_sanction('outreach.company_hub_status');
SELECT set_config('role', 'outreach_owner', true);
INSERT INTO outreach.company_hub_status (company_unique_id, hub_id, status) VALUES ('HIST-ORPHAN', 'company-target', 'FAIL');
RESET ROLE;
SELECT shq.fn_sanction('');
SELECT outreach.fn_delete_outreach_cascade(pg_temp.oid('HIST-ORPHAN'), 'pgtap', 'pgtap');
SELECT results_eq($$SELECT * FROM pg_temp.hub_history('HIST-ORPHAN', 'company-target')$$,
                  ARRAY['INSERT:FAIL:-', 'DELETE:-:-'], 'the cascade''s deletion of a hub-status row writes a DELETE row');
SELECT results_eq($$SELECT * FROM pg_temp.target_history('HIST-ORPHAN')$$, ARRAY['INSERT:queued', 'DELETE:-'],
                  '... and of a Company Target');

-- ---------------------------------------------------------------- append-only, sealed, not a guard
SELECT throws_ok($$UPDATE cl.company_identity_history SET eligibility_status = 'ELIGIBLE' WHERE company_unique_id = 'HIST-CL'$$,
                 'OG004', NULL, 'the CL history is append-only');
SELECT throws_ok($$DELETE FROM outreach.company_hub_status_history WHERE company_unique_id = 'HIST-HUB'$$,
                 'OG004', NULL, 'the hub-status history is append-only');
SELECT throws_ok($$TRUNCATE outreach.company_target_status_history$$, 'OG004', NULL,
                 'the target-status history cannot be truncated');
SELECT set_eq($$SELECT table_name FROM shq.fn_audit_sealed_tables() WHERE table_name LIKE '%\_history'$$,
              ARRAY['cl.company_identity_history', 'outreach.company_hub_status_history',
                    'outreach.company_target_status_history'], 'the seals cover the three history tables');

-- bulk mode (session_replication_role = replica, superusers only) writes no history: the decision of db/1300
SET LOCAL session_replication_role = replica;
SELECT cl.fn_register_company('HIST-CL', 'History Co renamed', 'hist-cl.example.com', 'ELIGIBLE');
RESET session_replication_role;
SELECT is((SELECT count(*)::int FROM cl.company_identity_history WHERE company_unique_id = 'HIST-CL'), 3,
          'a change in replica mode writes no history row');
SELECT is((SELECT count(*)::int FROM pg_trigger t
            WHERE t.tgname::text LIKE 'trg\_company\_%\_80_\_history\_%' AND t.tgenabled = 'O'), 8,
          'the eight history triggers are ordinary (ENABLE) triggers');

SELECT * FROM finish();
ROLLBACK;
