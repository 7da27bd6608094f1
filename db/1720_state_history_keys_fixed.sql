-- shq._install_state_history gains p_keys_fixed (functions/shq/_install_state_history.sql): the old signature
-- goes, so that the repeatable file's CREATE OR REPLACE leaves one function, not an overload.
-- depends: 1680_outbox_events_type_check
SET LOCAL search_path = pg_catalog, pg_temp;

DROP FUNCTION IF EXISTS shq._install_state_history(regclass, regclass, text[], text[], text[], text[]);
