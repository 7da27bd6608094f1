-- Register outreach.company_eligibility in the registry of guarded tables as sovereign:
-- a write, TRUNCATE or DDL outside its maintenance raises OG005 (docs/maintained-eligibility.md).
-- depends: 1400_company_eligibility
SET LOCAL search_path = pg_catalog, pg_temp;
-- The registry guards itself: on a database migrated before, outreach_owner
-- owns it and its guard trigger exists, so write it as its sanctioned writer
-- (on a fresh install neither is there yet: the migrating role writes it),
-- then return to the migrating role, which the later steps need. set_config
-- rather than SET ROLE and shq.fn_sanction: conditional, and on a fresh
-- install the repeatable functions do not exist yet.
SELECT set_config('shq.role_before_1401', current_user, true);
SELECT set_config('role', 'outreach_owner', true)
 WHERE (SELECT c.relowner::regrole::text FROM pg_class c WHERE c.oid = 'shq.guarded_tables'::regclass) = 'outreach_owner';
SELECT set_config('shq.sanctioned_writer', 'shq.guarded_tables', true);
INSERT INTO shq.guarded_tables (table_name, kind, id_column, writer_hint, triggers) VALUES
    ('outreach.company_eligibility', 'sovereign', NULL,
     'Maintained by the triggers of its input tables; rebuild it with outreach.fn_rebuild_company_eligibility() (pyctl migrate does).',
     NULL);
SELECT set_config('shq.sanctioned_writer', '', true);
SELECT set_config('role', current_setting('shq.role_before_1401'), true);
