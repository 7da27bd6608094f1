-- outreach.tg_send_log__before_insert_lock_target(): a send locks its Company Target
-- first, so that concurrent sends to one target queue and its status transition sees them all (docs/reference/gate.md).
CREATE OR REPLACE FUNCTION outreach.tg_send_log__before_insert_lock_target()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The status transition (AFTER INSERT, trg_send_log_500) is computed
    -- from every committed send of the target; that is only right when two
    -- sends to one target cannot overlap. This trigger takes the target's
    -- row lock FOR NO KEY UPDATE first thing, so a second send waits here
    -- until the first commits and then sees it. (The gate guard,
    -- trg_send_log_010, takes the same lock for its own reasons; this one
    -- keeps the transition correct whatever the guard does, and costs a
    -- re-lock of a row already held.) NO KEY UPDATE does not conflict with
    -- send_log's foreign-key checks (KEY SHARE). A row naming no target is
    -- left to the guard (OG006).
    IF NEW.target_id IS NOT NULL THEN
        PERFORM 1 FROM outreach.company_target t WHERE t.target_id = NEW.target_id FOR NO KEY UPDATE;
    ELSE
        PERFORM 1 FROM outreach.company_target t WHERE t.company_unique_id = NEW.company_unique_id
            FOR NO KEY UPDATE;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION outreach.tg_send_log__before_insert_lock_target() IS
    'Trigger (BEFORE INSERT ON send_log, per row, before the gate guard): locks the send''s Company Target FOR NO KEY UPDATE so concurrent sends to one target serialise and the status transition (tg_send_log__after_insert) computes from every committed send (docs/reference/gate.md).';
