-- shq.fn_sanction(text): mark the current transaction as running a sanctioned
-- writer for the given sovereign tables (comma-separated), or clear it ('').
CREATE OR REPLACE FUNCTION shq.fn_sanction(p_tables text)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
-- PL/pgSQL, not SQL: a SQL function with a SET clause is never inlined, and
-- is parsed and planned again in every transaction that calls it (~40 us,
-- twice per maintained write); PL/pgSQL keeps its plan for the session.
BEGIN
    PERFORM set_config('shq.sanctioned_writer', coalesce(p_tables, ''), true);
END
$$;
COMMENT ON FUNCTION shq.fn_sanction(text) IS
    'Internal: sanctioned writers (SECURITY DEFINER, owned by outreach_owner) call it before and after writing a sovereign table; the guard also checks current_user, so calling it directly sanctions nothing.';
