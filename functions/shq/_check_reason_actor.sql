-- shq._check_reason_actor: the reason and actor of a manual error governance action must not be
-- blank (SPEC §0, §16.1). Private helper: raises 22023 naming the blank argument.
CREATE OR REPLACE FUNCTION shq._check_reason_actor(p_action text, p_reason text, p_actor text)
RETURNS void
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF shq.fn_is_blank(p_reason) THEN
        RAISE EXCEPTION '% needs a reason: p_reason must not be NULL or blank', p_action
            USING ERRCODE = '22023', HINT = 'Say why, e.g. the ticket or incident it belongs to; it goes to shq.audit_log.';
    END IF;
    IF shq.fn_is_blank(p_actor) THEN
        RAISE EXCEPTION '% needs an actor: p_actor must not be NULL or blank', p_action
            USING ERRCODE = '22023', HINT = 'Name the person or system acting; it goes to shq.audit_log.';
    END IF;
END
$$;
COMMENT ON FUNCTION shq._check_reason_actor(text, text, text) IS
    'Private: 22023 when a manual action''s reason or actor is blank (SPEC §16.1).';
