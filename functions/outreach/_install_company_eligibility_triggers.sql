-- outreach._install_company_eligibility_triggers: create (or replace) the statement triggers that keep
-- outreach.company_eligibility, on each of its input tables (docs/maintained-eligibility.md); run by `pyctl migrate`.
CREATE OR REPLACE FUNCTION outreach._install_company_eligibility_triggers()
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- Transition tables are allowed only on a trigger of one event, so each input
-- table has one trigger per event, trg_<table>_500_eligibility_<event>, all
-- calling outreach.tg_company_eligibility__after_write (but bit_scores'
-- UPDATE, which copies the refreshed scores). The input tables are the ones
-- outreach._company_eligibility_input_columns lists (a test compares them
-- with the from-scratch view's reads); TRUNCATE only where the table may be
-- truncated (on the others the guards refuse it). %s takes only a regclass,
-- a regprocedure and this function's constants:
-- @plpgsql_check_options: security_warnings = false
-- Returns how many triggers are in place.
DECLARE
    r record;
    v_count integer := 0;
BEGIN
    FOR r IN
        SELECT i.input, c.relname, e.event, e.referencing,
               CASE WHEN i.input = 'outreach.bit_scores'::regclass AND e.event = 'update'
                    THEN 'outreach.tg_bit_scores__after_update_eligibility()'::regprocedure
                    ELSE 'outreach.tg_company_eligibility__after_write()'::regprocedure END AS fn
          FROM (VALUES ('outreach.outreach'::regclass,          true),
                       ('cl.company_identity'::regclass,        false),
                       ('outreach.company_target'::regclass,    true),
                       ('outreach.company_hub_status'::regclass, false),
                       ('people.company_slot'::regclass,        true),
                       ('people.people_master'::regclass,       true),
                       ('outreach.bit_scores'::regclass,        false)) AS i (input, truncatable)
          JOIN pg_class c ON c.oid = i.input
         CROSS JOIN (VALUES ('insert',   'REFERENCING NEW TABLE AS new_rows'),
                            ('update',   'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'),
                            ('delete',   'REFERENCING OLD TABLE AS old_rows'),
                            ('truncate', '')) AS e (event, referencing)
         WHERE e.event <> 'truncate' OR i.truncatable
    LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION %s',
                       format('trg_%s_500_eligibility_%s', r.relname, r.event), upper(r.event), r.input,
                       r.referencing, r.fn);
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION outreach._install_company_eligibility_triggers() IS
    'Private: creates or replaces the statement-level AFTER triggers (INSERT, UPDATE, DELETE with transition tables; TRUNCATE where allowed) that keep outreach.company_eligibility on each of its seven input tables; returns how many (25). Run by the repeatable file triggers/outreach/company_eligibility.sql.';
