-- shq.fn_sanction(text): mark the current transaction as running a sanctioned
-- writer for the given sovereign tables (comma-separated), or clear it ('').
CREATE OR REPLACE FUNCTION shq.fn_sanction(p_tables text)
RETURNS text
LANGUAGE sql VOLATILE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every function schema-qualified so the caller's search_path cannot change it.
-- Every maintained write calls it twice or more: inlined into the caller's
-- (kept) plan it costs the set_config itself, not a function call with a GUC
-- save and restore. It returns set_config's text (the setting now) because
-- only a function whose result type is its expression's is inlined.
AS $$
    SELECT pg_catalog.set_config('shq.sanctioned_writer', coalesce(p_tables, ''), true);
$$;
COMMENT ON FUNCTION shq.fn_sanction(text) IS
    'Internal: sanctioned writers (SECURITY DEFINER, owned by outreach_owner) call it before and after writing a sovereign table; returns the setting. The guard also checks current_user, so calling it directly sanctions nothing.';
