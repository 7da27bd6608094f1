-- outreach._write_generated_function(function, header, body_query, comment): writes a function whose body a query
-- builds from a table, comments it and revokes it from PUBLIC; the generated constants' one writer (docs/code-layout.md).
CREATE OR REPLACE FUNCTION outreach._write_generated_function(p_function text, p_header text, p_body_query text,
                                                               p_comment text)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- The pattern of a rule whose list or count lives in a table but is read
-- on a hot path as a constant (the tier rule's hub counts, the events' type
-- list): a writer reads the table and writes a function whose body holds
-- the result. This is that write, in one place: p_body_query (one row, one
-- text column) builds the body, which becomes the function p_function
-- (its name and arguments, schema-qualified) with p_header (RETURNS,
-- LANGUAGE and attributes), commented with p_comment, and with no EXECUTE
-- for PUBLIC. CREATE OR REPLACE keeps the grants the function had, so a
-- writer that grants it to roles does so after this call. Each writer is
-- re-run by every `pyctl migrate` and by a statement trigger on its table.
-- Internal: it runs the SQL it is given, so only the owner may call it.
DECLARE
    v_body text;
BEGIN
    IF p_function IS NULL OR p_header IS NULL OR p_body_query IS NULL OR p_comment IS NULL THEN
        RAISE EXCEPTION 'outreach._write_generated_function needs a function, a header, a body query and a comment'
            USING ERRCODE = '22004', HINT = 'Pass all four; nothing was written.';
    END IF;
    EXECUTE p_body_query INTO STRICT v_body;
    IF v_body IS NULL THEN
        RAISE EXCEPTION 'the body query of % returned NULL', p_function
            USING ERRCODE = '22004', HINT = 'The query must return one row with the function''s body; nothing was written.';
    END IF;
    EXECUTE format('CREATE OR REPLACE FUNCTION %s %s AS %L', p_function, p_header, v_body);
    EXECUTE format('COMMENT ON FUNCTION %s IS %L', p_function, p_comment);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', p_function);
END
$$;
COMMENT ON FUNCTION outreach._write_generated_function(text, text, text, text) IS
    'Internal: CREATE OR REPLACE FUNCTION p_function p_header AS (the one text value p_body_query returns), COMMENT ON it p_comment, REVOKE ALL FROM PUBLIC; the one writer of the functions generated from a table (outreach._write_hub_totals, outreach._write_outbox_event_type_list); 22004 for a NULL argument or body (docs/code-layout.md).';
REVOKE ALL ON FUNCTION outreach._write_generated_function(text, text, text, text) FROM PUBLIC;
