-- shq._check_reason_actor: the reason and actor of a manual action (an override, a cascade deletion,
-- an operator's error action) must not be blank (docs/reference/conventions.md). Raises 22023 naming the argument.
CREATE OR REPLACE FUNCTION shq._check_reason_actor(p_action text, p_reason text, p_actor text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF shq.fn_is_blank(p_reason) THEN
        RAISE EXCEPTION '% needs a reason: p_reason must not be NULL or blank (got %)', p_action,
                coalesce(quote_literal(p_reason), 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'Say why, e.g. the ticket or incident it belongs to; it is kept with the record of the action.';
    END IF;
    IF shq.fn_is_blank(p_actor) THEN
        RAISE EXCEPTION '% needs an actor: p_actor must not be NULL or blank (got %)', p_action,
                coalesce(quote_literal(p_actor), 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'Name the person or process acting; it is kept with the record of the action.';
    END IF;
END
$$;
COMMENT ON FUNCTION shq._check_reason_actor(text, text, text) IS
    'Private: 22023 when a manual action''s reason or actor is blank (docs/reference/conventions.md).';
GRANT EXECUTE ON FUNCTION shq._check_reason_actor(text, text, text) TO outreach_override_admin, outreach_governor;
