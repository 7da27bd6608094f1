-- Maintained eligibility (docs/maintained-eligibility.md): the UPDATE triggers get their columns as arguments from
-- outreach._company_eligibility_inputs(), the one list; its per-table wrapper has no reader left.
-- depends: 1520_state_history_generated_triggers
SET LOCAL search_path = pg_catalog, pg_temp;

DROP FUNCTION IF EXISTS outreach._company_eligibility_input_columns(regclass);
