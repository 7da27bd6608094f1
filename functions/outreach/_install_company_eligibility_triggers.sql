-- outreach._install_company_eligibility_triggers: create (or replace) the statement triggers that keep
-- outreach.company_eligibility, on each of its input tables (docs/maintained-eligibility.md); run by `pyctl migrate`.
CREATE OR REPLACE FUNCTION outreach._install_company_eligibility_triggers()
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- Transition tables are allowed only on a trigger of one event, so each input
-- table has one trigger per event, trg_<table>_500_eligibility_<event>, all
-- calling outreach.tg_company_eligibility__after_write (but bit_scores'
-- UPDATE, which copies the refreshed scores from its new rows, and the Company
-- Target's INSERT, which copies the new targets' outreach_status). The tables, and which carry an
-- INSERT or a TRUNCATE trigger, come from outreach._company_eligibility_inputs,
-- the one list. %s takes only a regclass, a regprocedure and this function's
-- constants:
-- @plpgsql_check_options: security_warnings = false
-- Returns how many triggers are in place.
DECLARE
    r record;
    v_count integer := 0;
BEGIN
    FOR r IN
        SELECT i.input, c.relname, e.event,
               -- the refresh's copy reads only the new rows: capturing the
               -- old ones would cost a copy of every rewritten score
               CASE WHEN b.copy THEN 'REFERENCING NEW TABLE AS new_rows' ELSE e.referencing END AS referencing,
               CASE WHEN b.copy THEN 'outreach.tg_bit_scores__after_update_eligibility'
                    WHEN b.target_copy THEN 'outreach.tg_company_target__after_insert_eligibility'
                    ELSE 'outreach.tg_company_eligibility__after_write' END AS fn,
               -- an UPDATE trigger gets the columns its table feeds as its
               -- arguments: the list is read here, once, not on every statement
               CASE WHEN e.event = 'update' AND NOT b.copy
                    THEN (SELECT string_agg(quote_literal(c.col), ', ' ORDER BY c.n)
                            FROM unnest(i.read_columns) WITH ORDINALITY AS c (col, n)) END AS args
          FROM outreach._company_eligibility_inputs() AS i
          JOIN pg_class c ON c.oid = i.input
         CROSS JOIN (VALUES ('insert',   'REFERENCING NEW TABLE AS new_rows'),
                            ('update',   'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows'),
                            ('delete',   'REFERENCING OLD TABLE AS old_rows'),
                            ('truncate', '')) AS e (event, referencing)
         CROSS JOIN LATERAL (SELECT i.input = 'outreach.bit_scores'::regclass AND e.event = 'update' AS copy,
                                    i.input = 'outreach.company_target'::regclass AND e.event = 'insert' AS target_copy) AS b
         WHERE (e.event <> 'truncate' OR i.truncatable) AND (e.event <> 'insert' OR i.on_insert)
    LOOP
        EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION %s(%s)',
                       format('trg_%s_500_eligibility_%s', r.relname, r.event), upper(r.event), r.input,
                       r.referencing, r.fn, coalesce(r.args, ''));
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION outreach._install_company_eligibility_triggers() IS
    'Private: creates or replaces the statement-level AFTER triggers (INSERT, UPDATE, DELETE with transition tables; TRUNCATE where allowed; no INSERT trigger on CL, whose new companies have no spine row yet) that keep outreach.company_eligibility on each of its seven input tables; the UPDATE triggers of outreach.tg_company_eligibility__after_write() get the columns their table feeds as arguments; returns how many (24). Run by the repeatable file triggers/outreach/company_eligibility.sql.';
