-- outreach._kill_switch_lock: the one home of the kill switch's per-company lock (docs/reference/gate.md):
-- shared for every verdict and send, exclusive for every override change; always transaction-level.
CREATE OR REPLACE FUNCTION outreach._kill_switch_lock(p_company_unique_id text, p_exclusive boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- The advisory lock (key below, hashtext(company)) is held until the
-- caller's transaction ends, never beyond it: a transaction-mode pooler can
-- hand the server connection to another client right after COMMIT, and a
-- session-level lock would stay behind on it. Its key appears nowhere else.
-- Shared: fn_safety_gate_check, the send_log guard (and so execute_send,
-- whose send transaction inserts the send_log row before calling its
-- provider). Exclusive: set_marketing_override, remove_marketing_override.
DECLARE
    c_lock_class constant integer := 1330053125;   -- 0x4F470005: 'OG' and 5, the kill switch's lock space
BEGIN
    IF p_exclusive THEN
        PERFORM pg_advisory_xact_lock(c_lock_class, hashtext(p_company_unique_id));
    ELSE
        PERFORM pg_advisory_xact_lock_shared(c_lock_class, hashtext(p_company_unique_id));
    END IF;
END
$$;
COMMENT ON FUNCTION outreach._kill_switch_lock(text, boolean) IS
    'Internal: takes the company''s kill-switch advisory lock until the end of the transaction, shared (verdicts and sends) or exclusive (override changes); the only place that knows the lock''s key (docs/reference/gate.md).';
GRANT EXECUTE ON FUNCTION outreach._kill_switch_lock(text, boolean) TO outreach_sender;
