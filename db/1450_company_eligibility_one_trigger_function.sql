-- Maintained eligibility (docs/maintained-eligibility.md): the input tables' statement triggers share one
-- function, outreach.tg_company_eligibility__after_write (functions/), which replaces the four per event.
-- depends: 1401_company_eligibility_guarded
SET LOCAL search_path = pg_catalog, pg_temp;

-- CASCADE drops exactly the input tables' eligibility triggers that name these
-- functions; `pyctl migrate` creates them again (triggers/, same names, same
-- events) in this same transaction, so no statement ever runs without them.
DROP FUNCTION IF EXISTS outreach.tg_company_eligibility__after_insert() CASCADE;
DROP FUNCTION IF EXISTS outreach.tg_company_eligibility__after_update() CASCADE;
DROP FUNCTION IF EXISTS outreach.tg_company_eligibility__after_delete() CASCADE;
DROP FUNCTION IF EXISTS outreach.tg_company_eligibility__after_truncate() CASCADE;
