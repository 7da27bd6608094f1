-- shq.fn_is_blank(text): the one definition of "blank" (docs/reference/conventions.md): NULL,
-- empty, or whitespace only. Used by every validation of ids, reasons, actors.
CREATE OR REPLACE FUNCTION shq.fn_is_blank(p_value text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every operator schema-qualified so the caller's search_path cannot change it.
-- Every validation (the mint, CL's row trigger) calls it: inlined, it costs the test itself,
-- not a parse and a plan of its body on every call.
AS $$
    SELECT p_value IS NULL OR p_value OPERATOR(pg_catalog.!~) '\S';
$$;
COMMENT ON FUNCTION shq.fn_is_blank(text) IS 'True for NULL, empty or whitespace-only text: what the contract calls "blank" (docs/reference/conventions.md). Immutable, inlinable.';
GRANT EXECUTE ON FUNCTION shq.fn_is_blank(text)
    TO outreach_cl_authority, outreach_hub_writer, outreach_override_admin, outreach_sender,
       outreach_governor, outreach_reader;
