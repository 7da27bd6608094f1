-- outreach._kill_switch_lock: the one home of the kill switch's per-company lock (docs/reference/gate.md):
-- shared for every verdict and send, exclusive for every override change; always transaction-level.
CREATE OR REPLACE FUNCTION outreach._kill_switch_lock(p_company_unique_id text, p_exclusive boolean DEFAULT false)
RETURNS void
LANGUAGE sql VOLATILE
-- The advisory lock (key below, hashtext(company)) is held until the
-- caller's transaction ends, never beyond it: a transaction-mode pooler can
-- hand the server connection to another client right after COMMIT, and a
-- session-level lock would stay behind on it. Its key appears nowhere else.
-- Shared: fn_safety_gate_check, the send_log guard (and so execute_send,
-- whose send transaction inserts the send_log row before calling its
-- provider). Exclusive: set_marketing_override, remove_marketing_override.
-- Inlinable: every gate check takes it, so no SET clause (not even search_path: it would stop
-- the planner from inlining), one expression, every name schema-qualified so the caller's
-- search_path cannot change it. The caller's plan holds the lock call itself.
-- 1330053125 = 0x4F470005: 'OG' and 5, the kill switch's lock space.
AS $$
    SELECT CASE WHEN p_exclusive
                THEN pg_catalog.pg_advisory_xact_lock(1330053125, pg_catalog.hashtext(p_company_unique_id))
                ELSE pg_catalog.pg_advisory_xact_lock_shared(1330053125, pg_catalog.hashtext(p_company_unique_id))
           END;
$$;
COMMENT ON FUNCTION outreach._kill_switch_lock(text, boolean) IS
    'Internal: takes the company''s kill-switch advisory lock until the end of the transaction, shared (verdicts and sends) or exclusive (override changes); the only place that knows the lock''s key (docs/reference/gate.md). Inlinable.';
GRANT EXECUTE ON FUNCTION outreach._kill_switch_lock(text, boolean) TO outreach_sender;
