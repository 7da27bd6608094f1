-- Maintained eligibility (docs/maintained-eligibility.md): the triggers that copy new values from their transition
-- table (BIT refresh, new Company Target) share one function, outreach.tg_company_eligibility__copy_new_rows.
-- depends: 1521_company_eligibility_input_columns_gone
SET LOCAL search_path = pg_catalog, pg_temp;

-- CASCADE drops exactly outreach.bit_scores' eligibility UPDATE trigger, which
-- names this function; `pyctl migrate` creates it again (triggers/, same name,
-- same event) in this same transaction, so no statement ever runs without it.
DROP FUNCTION IF EXISTS outreach.tg_bit_scores__after_update_eligibility() CASCADE;
