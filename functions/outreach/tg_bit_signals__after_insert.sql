-- outreach.tg_bit_signals__after_insert(): incremental BIT refresh (docs/reference/bit.md).
-- Statement-level AFTER INSERT with a transition table: one set-based refresh per statement.
CREATE OR REPLACE FUNCTION outreach.tg_bit_signals__after_insert()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids uuid[];
BEGIN
    -- Exactly the companies this statement gave a signal (none when an
    -- INSERT .. ON CONFLICT DO NOTHING stored nothing). Not SECURITY DEFINER:
    -- fn_refresh_bit_scores is, and every role that may insert signals
    -- (the owner, through fn_add_bit_signal) may execute it.
    SELECT array_agg(DISTINCT n.outreach_id) INTO v_ids FROM new_signals n;
    IF v_ids IS NOT NULL THEN
        PERFORM outreach.fn_refresh_bit_scores(v_ids, now());
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_bit_signals__after_insert() IS
    'Trigger (statement-level AFTER INSERT on outreach.bit_signals, transition table new_signals): refreshes the bit_scores of exactly the companies the statement inserted signals for, as of now(), in one call of outreach.fn_refresh_bit_scores (docs/reference/bit.md).';
