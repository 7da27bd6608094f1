-- State history (db/1300_state_history.sql): each table's history trigger runs its own generated function
-- (shq._install_state_history, functions/), which replaces the generic shq.tg_state_history.
-- depends: 1470_company_eligibility_plan_order
SET LOCAL search_path = pg_catalog, pg_temp;

-- CASCADE drops exactly the history triggers that name this function; `pyctl
-- migrate` creates them again (triggers/, same names, same events) in this same
-- transaction, so no statement ever runs without them.
DROP FUNCTION IF EXISTS shq.tg_state_history() CASCADE;
