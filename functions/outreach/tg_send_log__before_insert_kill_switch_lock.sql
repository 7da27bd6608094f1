-- outreach.tg_send_log__before_insert_kill_switch_lock(): a send takes its company's
-- kill-switch lock (shared) before any other lock of the insert (docs/reference/gate.md).
CREATE OR REPLACE FUNCTION outreach.tg_send_log__before_insert_kill_switch_lock()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Fires first (trg_send_log_001). The gate takes this lock before anything
    -- else too, and set_marketing_override / remove_marketing_override take it
    -- exclusively; taking it before any row lock of the target keeps one lock
    -- order for every path, so a gate-and-send transaction, a plain send and a
    -- waiting kill-switch change can never deadlock. The gate guard
    -- (trg_send_log_010) takes it again (re-entrant) so that it stands alone.
    IF NEW.company_unique_id IS NOT NULL THEN
        PERFORM outreach._kill_switch_lock(NEW.company_unique_id);
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION outreach.tg_send_log__before_insert_kill_switch_lock() IS
    'Trigger (BEFORE INSERT ON send_log, per row, first): takes the company''s kill-switch advisory lock in shared mode before any row lock, one lock order with the gate and the override functions (docs/reference/gate.md).';
