-- Tamper evidence: the seal chain's objects, privileges and
-- append-only guard; sealing inside this transaction, then forged rows and
-- forged seals reported by shq.fn_verify_audit_seals. Only row-level work:
-- no table lock is taken (the DDL guard and trigger bypasses are tested with
-- pytest, on throwaway databases).
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(31);

-- ---------------------------------------------------------------- objects
SELECT has_table('shq', 'audit_seals', 'shq.audit_seals exists');
SELECT has_table('shq', 'audit_seal_tombstones', 'shq.audit_seal_tombstones exists');
SELECT columns_are('shq', 'audit_seals',
    ARRAY['seal_id', 'table_name', 'id_column', 'first_id', 'last_id', 'row_count', 'columns', 'row_digest',
          'prev_digest', 'digest', 'sealed_at', 'sealed_by'], 'audit_seals columns');
-- (their append-only and tombstone triggers, ENABLE ALWAYS: guarded_tables.sql)
SELECT is_definer('shq', 'fn_seal_audit_tables', ARRAY['interval', 'integer'], 'the sealer is SECURITY DEFINER');
SELECT is_definer('shq', 'fn_verify_audit_seals', ARRAY['regclass'], 'the verifier is SECURITY DEFINER');
SELECT function_privs_are('shq', 'fn_seal_audit_tables', ARRAY['interval', 'integer'], 'outreach_reader',
                          ARRAY[]::text[], 'outreach_reader cannot seal');
SELECT function_privs_are('shq', 'fn_verify_audit_seals', ARRAY['regclass'], 'outreach_governor',
                          ARRAY['EXECUTE'], 'outreach_governor may verify');
SELECT table_privs_are('shq', 'audit_seals', 'outreach_governor', ARRAY['SELECT'],
                       'outreach_governor only reads the seals');

-- ---------------------------------------------------------------- sealing
INSERT INTO shq.audit_log (event_type, details)
SELECT 'TAMPER_PGTAP', jsonb_build_object('i', i, 'text', 'a"b\c' || chr(10) || '€') FROM generate_series(1, 25) AS i;
INSERT INTO shq.tool_violations (violation_code, severity, disposition, message)
SELECT 'V-TOOL-001', 'LOW', 'PARK', 'pgtap ' || i FROM generate_series(1, 3) AS i;
CREATE TEMP TABLE made AS SELECT * FROM shq.fn_seal_audit_tables(interval '5 seconds', 10);

SELECT cmp_ok((SELECT count(*) FROM made WHERE table_name = 'shq.audit_log'), '>=', 3::bigint,
              '25 new audit_log rows give at least 3 seals of at most 10 rows');
SELECT ok((SELECT bool_and(row_count BETWEEN 1 AND 10) FROM made), 'no seal holds more than p_max_rows rows');
SELECT is((SELECT max(last_id) FROM shq.audit_seals WHERE table_name = 'shq.audit_log'),
          (SELECT max(audit_id) FROM shq.audit_log), 'every audit_log row is sealed');
SELECT is((SELECT max(last_id) FROM shq.audit_seals WHERE table_name = 'shq.tool_violations'),
          (SELECT max(violation_id) FROM shq.tool_violations), 'every tool_violations row is sealed');
SELECT is((SELECT count(*) FROM shq.fn_seal_audit_tables()), 0::bigint, 'a second run finds nothing to seal');
SELECT is((SELECT count(*) FROM (SELECT s.prev_digest, lag(s.digest) OVER (PARTITION BY s.table_name ORDER BY s.seal_id) AS p
                                   FROM shq.audit_seals s) q WHERE q.prev_digest IS DISTINCT FROM q.p),
          0::bigint, 'each seal names its predecessor''s digest');
SELECT is((SELECT status FROM shq.fn_verify_audit_seals('shq.tool_violations')), 'OK',
          'the new seals verify');
SELECT is((SELECT seal_id FROM shq.fn_verify_audit_seals('shq.audit_log')),
          (SELECT max(seal_id) FROM shq.audit_seals WHERE table_name = 'shq.audit_log'),
          'an intact table reports its chain head');
SELECT is((SELECT digest FROM shq.fn_audit_chain_heads() WHERE table_name = 'shq.audit_log'),
          (SELECT encode(digest, 'hex') FROM shq.audit_seals WHERE table_name = 'shq.audit_log' ORDER BY seal_id DESC LIMIT 1),
          'fn_audit_chain_heads gives the newest digest');

-- the canonical text does not depend on the session's settings
SET LOCAL TimeZone = 'Pacific/Chatham';
SET LOCAL IntervalStyle = 'sql_standard';
SET LOCAL DateStyle = 'German';
SELECT is((SELECT status FROM shq.fn_verify_audit_seals('shq.tool_violations')), 'OK',
          'verification holds under another TimeZone, DateStyle and IntervalStyle');
SELECT is((SELECT count(*) FROM shq.audit_seals s
            WHERE s.digest <> shq._audit_seal_digest(s.table_name, s.id_column, s.first_id, s.last_id, s.row_count,
                                                     s.columns, s.row_digest, s.prev_digest, s.sealed_at)),
          0::bigint, 'every seal digest recomputes under another TimeZone');
RESET TimeZone;
RESET IntervalStyle;
RESET DateStyle;

-- ---------------------------------------------------------------- append-only seals
SELECT throws_ok($$UPDATE shq.audit_seals SET row_count = row_count + 1$$, 'OG004', NULL, 'UPDATE audit_seals is OG004');
SELECT throws_ok($$DELETE FROM shq.audit_seals$$, 'OG004', NULL, 'DELETE audit_seals is OG004');
SELECT throws_ok($$TRUNCATE shq.audit_seals$$, 'OG004', NULL, 'TRUNCATE audit_seals is OG004');
SELECT throws_ok($$DELETE FROM shq.audit_seal_tombstones$$, 'OG004', NULL, 'DELETE audit_seal_tombstones is OG004');

-- ---------------------------------------------------------------- roles, arguments
SET LOCAL ROLE outreach_reader;
SELECT throws_ok($$SELECT * FROM shq.fn_verify_audit_seals()$$, '42501', NULL, 'outreach_reader cannot verify');
SELECT throws_ok($$SELECT * FROM shq.audit_seals$$, '42501', NULL, 'outreach_reader cannot read the seals');
RESET ROLE;
SELECT throws_ok($$SELECT * FROM shq.fn_verify_audit_seals('cl.company_identity')$$, '22023', NULL,
                 'a table that is not audited is refused');
SELECT throws_ok($$SELECT * FROM shq.fn_seal_audit_tables(interval '1 second', 0)$$, '22023', NULL,
                 'p_max_rows 0 is refused');

-- ---------------------------------------------------------------- tampering without a lock
-- a row forged below the first seal (INSERT needs no trigger bypass)
CREATE TEMP TABLE first_seal AS
SELECT min(seal_id) AS seal_id FROM shq.audit_seals WHERE table_name = 'shq.tool_violations';
SAVEPOINT forged_row;
INSERT INTO shq.tool_violations (violation_id, violation_code, severity, disposition, message)
OVERRIDING SYSTEM VALUE VALUES (-424242, 'V-TOOL-001', 'LOW', 'PARK', 'forged');
SELECT results_eq($$SELECT seal_id, status FROM shq.fn_verify_audit_seals('shq.tool_violations')$$,
                  $$SELECT seal_id, 'INSERTED'::text FROM first_seal$$,
                  'a forged row inside a sealed range: INSERTED, at the seal covering it');
ROLLBACK TO SAVEPOINT forged_row;

-- the owner with the cascade's sanction passes the append-only guard, but
-- the deleted audit_log row belongs to no removed company
SAVEPOINT sanctioned_delete;
CREATE TEMP TABLE victim AS
SELECT max(a.audit_id) AS audit_id,
       (SELECT min(s.seal_id) FROM shq.audit_seals s WHERE s.table_name = 'shq.audit_log'
           AND s.last_id >= max(a.audit_id)) AS seal_id
  FROM shq.audit_log a WHERE a.event_type = 'TAMPER_PGTAP';
DO $$
DECLARE
    v_id bigint := (SELECT audit_id FROM victim);
BEGIN
    SET LOCAL ROLE outreach_owner;
    PERFORM shq.fn_sanction('outreach.fn_delete_outreach_cascade');
    DELETE FROM shq.audit_log WHERE audit_id = v_id;
    PERFORM shq.fn_sanction('');
    RESET ROLE;
END
$$;
SELECT results_eq($$SELECT seal_id, status FROM shq.fn_verify_audit_seals('shq.audit_log')$$,
                  $$SELECT seal_id, 'MISSING'::text FROM victim$$,
                  'a sanctioned-looking delete of a row of no removed company: MISSING');
ROLLBACK TO SAVEPOINT sanctioned_delete;

-- a forged seal after the head
SAVEPOINT forged_seal;
INSERT INTO shq.tool_violations (violation_code, severity, disposition, message)
VALUES ('V-TOOL-001', 'LOW', 'PARK', 'after the head');
INSERT INTO shq.audit_seals (table_name, id_column, first_id, last_id, row_count, columns, row_digest, prev_digest, digest)
SELECT s.table_name, s.id_column, s.last_id + 1, (SELECT max(violation_id) FROM shq.tool_violations), 1, s.columns,
       s.row_digest, sha256('not the head'::bytea), s.digest
  FROM shq.audit_seals s WHERE s.table_name = 'shq.tool_violations' ORDER BY s.seal_id DESC LIMIT 1;
SELECT results_eq($$SELECT seal_id, status FROM shq.fn_verify_audit_seals('shq.tool_violations')$$,
                  $$SELECT max(seal_id), 'CHAIN_BROKEN'::text FROM shq.audit_seals WHERE table_name = 'shq.tool_violations'$$,
                  'a forged seal: CHAIN_BROKEN, at that seal');
ROLLBACK TO SAVEPOINT forged_seal;

SELECT is((SELECT status FROM shq.fn_verify_audit_seals('shq.tool_violations')), 'OK',
          'rolled back, the chain verifies again');

SELECT * FROM finish();
ROLLBACK;
