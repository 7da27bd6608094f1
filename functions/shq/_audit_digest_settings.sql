-- shq._audit_digest_settings: the session settings that the canonical text of a row, and so every
-- seal digest, depends on; the one home of their values (tamper evidence).
CREATE OR REPLACE FUNCTION shq._audit_digest_settings(p_previous text[] DEFAULT NULL)
RETURNS text[]
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- Called without an argument: sets them for the rest of the transaction
-- (set_config(..., true), never a session setting) and returns the values
-- they had; the caller passes that array back when it is done, which puts
-- those values back. Between the two calls a row renders the same on every
-- server and in every session: timestamps in UTC, intervals and dates in one
-- style, floats shortest-exact, bytea in hex. An error in between needs no
-- care: aborting the (sub)transaction undoes set_config as well.
-- Its callers: shq.fn_seal_audit_tables, shq.fn_verify_audit_seals and the
-- tombstone trigger shq.tg_audit_tombstone.
DECLARE
    c_names constant text[] := ARRAY['TimeZone', 'IntervalStyle', 'DateStyle', 'extra_float_digits', 'bytea_output'];
    c_values constant text[] := ARRAY['UTC', 'postgres', 'ISO, MDY', '1', 'hex'];
    v_previous text[];
BEGIN
    IF p_previous IS NULL THEN
        v_previous := ARRAY(SELECT current_setting(n.name) FROM unnest(c_names) WITH ORDINALITY AS n(name, i)
                             ORDER BY n.i);
        PERFORM set_config(c_names[i], c_values[i], true) FROM generate_subscripts(c_names, 1) AS i;
        RETURN v_previous;
    END IF;
    IF cardinality(p_previous) <> cardinality(c_names) THEN
        RAISE EXCEPTION 'expected the % values shq._audit_digest_settings() returned, got %',
                cardinality(c_names), cardinality(p_previous)
            USING ERRCODE = '22023', HINT = 'Pass back the array the call without an argument returned.';
    END IF;
    PERFORM set_config(c_names[i], p_previous[i], true) FROM generate_subscripts(c_names, 1) AS i;
    RETURN p_previous;
END
$$;
COMMENT ON FUNCTION shq._audit_digest_settings(text[]) IS
    'Internal: without an argument, sets for the transaction the settings canonical row texts depend on (TimeZone UTC, IntervalStyle postgres, DateStyle ISO, MDY, extra_float_digits 1, bytea_output hex) and returns their previous values; with that array, puts them back (tamper evidence).';
