-- shq.fn_is_blank(text): the one definition of "blank" (docs/reference/conventions.md): NULL,
-- empty, or whitespace only. Used by every validation of ids, reasons, actors.
CREATE OR REPLACE FUNCTION shq.fn_is_blank(p_value text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p_value IS NULL OR p_value !~ '\S';
$$;
COMMENT ON FUNCTION shq.fn_is_blank(text) IS 'True for NULL, empty or whitespace-only text: what the contract calls "blank" (docs/reference/conventions.md).';
GRANT EXECUTE ON FUNCTION shq.fn_is_blank(text)
    TO outreach_cl_authority, outreach_hub_writer, outreach_override_admin, outreach_sender,
       outreach_governor, outreach_reader;
