-- outreach.send_attempt_audit keeps only the indexes a reader uses: every gate call inserts one row,
-- and each index is one more insert on the hot path (docs/reference/gate.md, "The audit row's indexes").
-- depends: 1200_gate_block_detail 1401_company_eligibility_guarded
SET LOCAL search_path = pg_catalog, pg_temp;

-- (company_unique_id, attempt_timestamp): no query of the project reads the
-- audit by company; the send guard, the queue and the send-request refusal
-- find their verdict by audit_id (the primary key).
DROP INDEX IF EXISTS outreach.send_attempt_audit_company_idx;
-- (attempt_timestamp) WHERE was_blocked: the time-window readers (metrics,
-- the hourly verdicts, the state report) read every verdict of the window, and
-- the BRIN index on attempt_timestamp finds that window for all of them.
DROP INDEX IF EXISTS outreach.send_attempt_audit_blocked_idx;
