-- Kill switch, safety gate, send log and engagement (docs/reference/gate.md): keys that hold even where a trigger does not fire, read grants.
-- depends: 0007_tool_canon
SET LOCAL search_path = pg_catalog, pg_temp;

-- A send names its Company Target together with that target's own outreach_id
-- and company_unique_id (the send_log trigger raises OG006 first, with a clear
-- message; this key holds even where a trigger does not fire).
ALTER TABLE outreach.send_log
    ADD CONSTRAINT send_log_target_ids_fkey FOREIGN KEY (target_id, outreach_id, company_unique_id)
        REFERENCES outreach.company_target (target_id, outreach_id, company_unique_id);

-- An engagement event carries exactly the ids of its send (OG006 in the trigger
-- first; this key is the schema-level backstop).
ALTER TABLE outreach.send_log
    ADD CONSTRAINT send_log_send_ids_key UNIQUE (send_id, target_id, outreach_id, company_unique_id);
ALTER TABLE outreach.engagement_events
    ADD CONSTRAINT engagement_events_send_ids_fkey FOREIGN KEY (send_id, target_id, outreach_id, company_unique_id)
        REFERENCES outreach.send_log (send_id, target_id, outreach_id, company_unique_id);

-- A kill-switch row never expires before it was created.
ALTER TABLE outreach.manual_overrides
    ADD CONSTRAINT manual_overrides_expiry_after_creation CHECK (expires_at IS NULL OR expires_at > created_at);

COMMENT ON COLUMN outreach.manual_overrides.expires_at IS
    'NULL = until removed; an override is active while removed_at IS NULL and (expires_at IS NULL OR expires_at > now()): expiry needs no job (docs/reference/gate.md).';
COMMENT ON COLUMN outreach.send_log.gate_audit_id IS
    'The passing, non-dry-run send_attempt_audit row that cleared this send: same company, campaign and channel, at most 15 minutes old, used once, and no kill-switch change for the company since (OG008).';

-- Operators who set overrides may read them and their audit trail.
GRANT SELECT ON outreach.manual_overrides, outreach.override_audit_log TO outreach_override_admin;

-- A send recorded without an explicit time is stamped when it is recorded,
-- not when its transaction began (a gate call and its send often share one
-- transaction: the send must not appear to precede its own verdict).
ALTER TABLE outreach.send_log ALTER COLUMN sent_at SET DEFAULT clock_timestamp();
