-- shq.fn_sanction_add(text): add one sovereign table to the current transaction's sanction and
-- return the sanction found, for the writer to put back with shq.fn_sanction when its write is done.
CREATE OR REPLACE FUNCTION shq.fn_sanction_add(p_table text)
RETURNS text
LANGUAGE sql VOLATILE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every function schema-qualified so the caller's search_path cannot change it.
-- A writer that runs inside another sanctioned writer (a maintenance trigger
-- fired by a hub status write) must keep the caller's tables and add its own:
-- the new setting is the one found plus ',' || p_table (just p_table when
-- none is found: unset or ''), so the one found is the new one less that
-- tail, read back from set_config's result (one expression: no second read
-- of the setting, no order of evaluation relied on).
-- Called in an assignment (v_prev := shq.fn_sanction_add(...)), it is a
-- PL/pgSQL simple expression: the set_config itself, no executor start-up.
-- Like shq.fn_sanction, transaction-local (set_config(..., true)): a failed
-- write's subtransaction or transaction takes the addition back with it.
AS $$
    SELECT pg_catalog.left(
               pg_catalog.set_config('shq.sanctioned_writer',
                                     pg_catalog.ltrim(pg_catalog.concat_ws(',', pg_catalog.current_setting('shq.sanctioned_writer', true),
                                                                           p_table), ','),
                                     true),
               -1 OPERATOR(pg_catalog.-) pg_catalog.length(p_table));
$$;
COMMENT ON FUNCTION shq.fn_sanction_add(text) IS
    'Internal: sanctioned writers (SECURITY DEFINER, owned by outreach_owner) call it before writing a sovereign table that another sanctioned writer may already be writing under: adds the table to the transaction''s sanction and returns the sanction as it was (never NULL), which the writer restores with shq.fn_sanction after its write. The guard also checks current_user, so calling it directly sanctions nothing.';
