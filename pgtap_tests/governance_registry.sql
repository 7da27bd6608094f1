-- Error governance (docs/reference/governance.md): the registry shq.governed_error_tables is the only list of tables —
-- a sixth table registered in this transaction is recorded, retried, parked, archived, cleaned and
-- acted on by the unchanged functions; the views' coverage check names it until it gets a branch.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(14);
\ir fixtures/governed_view_coverage.sql

CREATE TABLE company.pgtap_sixth_errors (LIKE outreach.company_target_errors INCLUDING ALL);
CREATE TABLE company.pgtap_sixth_errors_archive (LIKE outreach.company_target_errors_archive INCLUDING ALL);
ALTER TABLE company.pgtap_sixth_errors OWNER TO outreach_owner;
ALTER TABLE company.pgtap_sixth_errors_archive OWNER TO outreach_owner;
INSERT INTO shq.governed_error_tables (table_name, archive_table, hub_id, max_retries, retention, display_order)
VALUES ('company.pgtap_sixth_errors', 'company.pgtap_sixth_errors_archive', NULL, 2, interval '30 days', 99);

CREATE TEMP TABLE e AS SELECT shq.fn_record_error('company.pgtap_sixth_errors', NULL, 'MISSING_DATA', 'sixth') AS id;
SELECT results_eq(
    $$SELECT disposition::text, max_retries, ttl_tier::text FROM company.pgtap_sixth_errors WHERE error_id = (SELECT id FROM e)$$,
    $$VALUES ('RETRY', 2, 'MEDIUM')$$, 'fn_record_error writes the sixth table with its registry max_retries');
SELECT results_eq(
    $$SELECT shq.fn_register_retry_attempt('company.pgtap_sixth_errors', (SELECT id FROM e), false)::text FROM generate_series(1, 2)$$,
    $$VALUES ('RETRY'), ('PARKED')$$, 'retries park it at its max_retries (2)');

INSERT INTO company.pgtap_sixth_errors (error_id, failure_code, created_at, ttl_tier, disposition, retry_count, max_retries)
VALUES (9001, 'OLD', now() - interval '40 days', 'MEDIUM', 'RESOLVED', 0, 2),
       (9002, 'EXHAUSTED', now(), 'LONG', 'RETRY', 2, 2);
SELECT results_eq(
    $$SELECT archived FROM shq.fn_archive_expired_errors() WHERE table_name = 'company.pgtap_sixth_errors'$$,
    $$VALUES (1::bigint)$$, 'TTL archiving covers the sixth table');
SELECT is((SELECT retention_expires_at = archived_at + interval '30 days' FROM company.pgtap_sixth_errors_archive
            WHERE error_id = 9001), true, 'with the registry''s retention');
SELECT results_eq(
    $$SELECT affected FROM shq.fn_auto_park_exhausted_retries() WHERE table_name = 'company.pgtap_sixth_errors'$$,
    $$VALUES (1::bigint)$$, 'auto-park covers the sixth table');
UPDATE company.pgtap_sixth_errors SET parked_at = now() - interval '3 days' WHERE error_id = 9002;
SELECT results_eq(
    $$SELECT affected FROM shq.fn_escalate_stale_parked_errors() WHERE table_name = 'company.pgtap_sixth_errors'$$,
    $$VALUES (1::bigint)$$, 'escalation covers the sixth table');
SELECT is((SELECT count(*)::int FROM shq.fn_run_error_governance_jobs() WHERE table_name = 'company.pgtap_sixth_errors'),
          3, 'the runner reports the sixth table for park, archive, escalate');
UPDATE company.pgtap_sixth_errors_archive SET retention_expires_at = now() - interval '1 second' WHERE error_id = 9001;
SELECT results_eq(
    $$SELECT affected FROM shq.fn_cleanup_expired_archives() WHERE table_name = 'company.pgtap_sixth_errors'$$,
    $$VALUES (1::bigint)$$, 'cleanup covers the sixth archive');
SELECT is(shq.fn_unpark_error('company.pgtap_sixth_errors', 9002, 'pgTAP', 'pgtap'), 'RETRY'::shq.error_disposition,
          'un-park works on the sixth table');
SELECT is(shq.fn_archive_error('company.pgtap_sixth_errors', 9002, 'pgTAP', 'pgtap'), 'ARCHIVED'::shq.error_disposition,
          'manual archive works on the sixth table');
SELECT is((SELECT archive_reason || '/' || archived_by FROM company.pgtap_sixth_errors_archive WHERE error_id = 9002),
          'MANUAL/pgtap', 'manual archive row: MANUAL, archived_by the actor');
SELECT throws_ok($$SELECT shq.fn_record_error('company.pgtap_seventh_errors', NULL, 'X', 'x')$$, '22023', NULL,
                 'an unregistered table is still refused');

-- the static views need one branch per registered table: the coverage check names the new one
SELECT is(pg_temp.governed_tables_not_read_by('shq.vw_error_governance_summary'),
          ARRAY['company.pgtap_sixth_errors'], 'the views'' coverage check names a registered table without a branch');

-- a registry row whose table is missing is a clear error, not a crash of the whole run
INSERT INTO shq.governed_error_tables (table_name, archive_table, hub_id, max_retries, retention, display_order)
VALUES ('company.pgtap_missing_errors', 'company.pgtap_missing_errors_archive', NULL, 3, interval '1 year', 100);
SELECT throws_ok($$SELECT * FROM shq.fn_run_error_governance_jobs()$$, '42P01', NULL,
                 'a registered table that does not exist: 42P01 naming it');

SELECT * FROM finish();
ROLLBACK;
