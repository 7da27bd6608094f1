-- Foundation: the append-only mechanism (OG004) and the
-- sovereign-table guard (OG005) hold for every role, the owner and a
-- superuser included, and survive session_replication_role = replica.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(36);

-- (which tables carry which guard triggers, ENABLE ALWAYS: guarded_tables.sql)

-- ---------------------------------------------------------------- append-only
INSERT INTO shq.audit_log (event_type, details) VALUES ('FOUNDATION_TEST', '{"n": 1}');
INSERT INTO shq.tool_violations (tool_id, violation_code, severity, disposition, message)
VALUES ('TOOL-000', 'V-TOOL-001', 'CRITICAL', 'PARK', 'test row');
CREATE TEMP TABLE audit_before AS SELECT * FROM shq.audit_log;

SELECT throws_ok($$UPDATE shq.audit_log SET details = '{}'$$, 'OG004', NULL, 'UPDATE audit_log is OG004');
SELECT throws_ok($$DELETE FROM shq.audit_log$$, 'OG004', NULL, 'DELETE audit_log is OG004');
SELECT throws_ok($$TRUNCATE shq.audit_log$$, 'OG004', NULL, 'TRUNCATE audit_log is OG004');
SELECT throws_ok($$UPDATE shq.audit_log SET details = '{}' WHERE false$$, 'OG004', NULL,
                 'even an UPDATE matching no row is refused (statement-level)');
SELECT throws_ok($$INSERT INTO shq.audit_log (audit_id, event_type) OVERRIDING SYSTEM VALUE
                   SELECT audit_id, 'X' FROM shq.audit_log ON CONFLICT (audit_id) DO UPDATE SET event_type = 'CHANGED'$$,
                 'OG004', NULL, 'INSERT ... ON CONFLICT DO UPDATE on audit_log is OG004');
SELECT throws_ok($$UPDATE shq.tool_violations SET message = 'x'$$, 'OG004', NULL, 'UPDATE tool_violations is OG004');
SELECT throws_ok($$TRUNCATE shq.tool_violations$$, 'OG004', NULL, 'TRUNCATE tool_violations is OG004');

SET LOCAL session_replication_role = replica;
SELECT throws_ok($$DELETE FROM shq.audit_log$$, 'OG004', NULL, 'DELETE under session_replication_role = replica is OG004');
SELECT throws_ok($$UPDATE shq.audit_log SET event_type = 'X'$$, 'OG004', NULL, 'UPDATE under replica is OG004');
RESET session_replication_role;

SET LOCAL ROLE outreach_owner;
SELECT throws_ok($$DELETE FROM shq.audit_log$$, 'OG004', NULL, 'the owner cannot DELETE either');
SELECT throws_ok($$TRUNCATE shq.audit_log$$, 'OG004', NULL, 'the owner cannot TRUNCATE either');
-- the cascade's exception needs the sanction AND the owner: a sanction alone from another role does nothing
RESET ROLE;
SELECT shq.fn_sanction('outreach.fn_delete_outreach_cascade');
SELECT throws_ok($$DELETE FROM shq.audit_log$$, 'OG004', NULL, 'a superuser setting the cascade sanction still gets OG004');
SELECT shq.fn_sanction('');
SELECT results_eq($$SELECT * FROM shq.audit_log$$, $$SELECT * FROM audit_before$$, 'audit_log rows unchanged');
SELECT is((SELECT count(*) FROM shq.tool_violations WHERE tool_id = 'TOOL-000'), 1::bigint, 'tool_violations row still there');

SELECT col_default_is('shq', 'audit_log', 'actor', 'SESSION_USER', 'audit_log.actor defaults to session_user');
SELECT is((SELECT actor FROM shq.audit_log WHERE event_type = 'FOUNDATION_TEST'), session_user::text,
          'the actor of a new row is the session user');

-- ---------------------------------------------------------------- sovereign guard
SELECT cl.fn_register_company('FND-SOV-1', 'Sov', 'sov.example');
SELECT outreach.fn_mint_outreach_id('FND-SOV-1');
CREATE TEMP TABLE hub_before AS SELECT * FROM outreach.hub_registry;

SELECT throws_ok($$INSERT INTO outreach.company_hub_status (company_unique_id, hub_id, status)
                   VALUES ('FND-SOV-1', 'company-target', 'PASS')$$, 'OG005', NULL,
                 'superuser INSERT into company_hub_status is OG005');
SELECT throws_ok($$UPDATE outreach.company_hub_status SET status = 'PASS'$$, 'OG005', NULL,
                 'superuser UPDATE of company_hub_status is OG005');
SELECT throws_ok($$DELETE FROM outreach.company_hub_status$$, 'OG005', NULL, 'DELETE company_hub_status is OG005');
SELECT throws_ok($$TRUNCATE outreach.company_hub_status$$, 'OG005', NULL, 'TRUNCATE company_hub_status is OG005');
SELECT throws_ok($$UPDATE outreach.hub_registry SET is_required = false WHERE hub_id = 'dol-filings'$$, 'OG005', NULL,
                 'hub_registry is written only by migrations');
SELECT throws_ok($$DELETE FROM outreach.hub_registry$$, 'OG005', NULL, 'DELETE hub_registry is OG005');
SELECT throws_ok($$INSERT INTO outreach.manual_overrides (company_unique_id, override_type, reason, created_by)
                   VALUES ('FND-SOV-1', 'BLOCK_EMAIL', 'r', 'a')$$, 'OG005', NULL, 'direct INSERT into manual_overrides is OG005');
SELECT throws_ok($$TRUNCATE outreach.bit_scores$$, 'OG005', NULL, 'TRUNCATE bit_scores is OG005');

-- a superuser who sets the sanction without being the owner is still refused
SELECT shq.fn_sanction('outreach.company_hub_status');
SELECT throws_ok($$INSERT INTO outreach.company_hub_status (company_unique_id, hub_id, status)
                   VALUES ('FND-SOV-1', 'company-target', 'PASS')$$, 'OG005', NULL,
                 'the sanction without the owner''s identity is refused');
SELECT shq.fn_sanction('');
-- the owner without the sanction is refused
SET LOCAL ROLE outreach_owner;
SELECT throws_ok($$DELETE FROM outreach.hub_registry WHERE hub_id = 'bit-engine'$$, 'OG005', NULL,
                 'the owner without the sanction is refused');
RESET ROLE;
SET LOCAL session_replication_role = replica;
SELECT throws_ok($$DELETE FROM outreach.hub_registry$$, 'OG005', NULL, 'replica mode does not skip the guard');
RESET session_replication_role;

SELECT results_eq($$SELECT * FROM outreach.hub_registry ORDER BY hub_id$$, $$SELECT * FROM hub_before ORDER BY hub_id$$,
                  'hub_registry unchanged');
SELECT is((SELECT count(*) FROM outreach.company_hub_status WHERE company_unique_id = 'FND-SOV-1'), 0::bigint,
          'no hub status row was written');

-- ---------------------------------------------------------------- a sanction added, then put back
-- A writer running inside another sanctioned writer adds its table to the
-- sanction it finds and puts that back afterwards (shq.fn_sanction_add).
SELECT shq.fn_sanction('outreach.company_hub_status');
SELECT is(shq.fn_sanction_add('outreach.company_eligibility'), 'outreach.company_hub_status',
          'fn_sanction_add returns the sanction it found');
SELECT is(current_setting('shq.sanctioned_writer'), 'outreach.company_hub_status,outreach.company_eligibility',
          '... and adds its table to it');
SELECT is(shq.fn_sanction('outreach.company_hub_status'), 'outreach.company_hub_status', '... which fn_sanction puts back');
SELECT shq.fn_sanction('');
SELECT is(shq.fn_sanction_add('outreach.company_eligibility'), '', 'with no sanction it returns the empty one');
SELECT is(current_setting('shq.sanctioned_writer'), 'outreach.company_eligibility', '... and sanctions its table alone');
-- transaction-local: a failed subtransaction takes the addition back with it
SELECT shq.fn_sanction('outreach.company_hub_status');
DO $$
BEGIN
    PERFORM shq.fn_sanction_add('outreach.company_eligibility');
    RAISE EXCEPTION 'the write failed' USING ERRCODE = 'OG999';
EXCEPTION WHEN SQLSTATE 'OG999' THEN
    NULL;
END
$$;
SELECT is(current_setting('shq.sanctioned_writer'), 'outreach.company_hub_status',
          'a write that fails after fn_sanction_add leaves the sanction as the subtransaction found it');
-- the maintained writers put back the sanction they found
SELECT outreach.fn_rebuild_company_eligibility(ARRAY['FND-SOV-1']);
SELECT is(current_setting('shq.sanctioned_writer'), 'outreach.company_hub_status',
          'a rebuild of the maintained row inside another sanctioned writer keeps that writer''s sanction');
SELECT shq.fn_sanction('');

SELECT * FROM finish();
ROLLBACK;
