-- The SMOKE-TEST campaign that shq.fn_run_smoke_test runs the safety gate against (docs/reference/operations.md).
-- depends: 0600_tool_catalogue
--
-- Dry runs only: fn_run_smoke_test calls outreach.fn_safety_gate_check with
-- p_dry_run = true, and a dry-run audit row never clears a send (OG008). It is
-- an EMAIL campaign with the default minimum tier (1, marketing ready), so a
-- smoke verdict answers "would this company be cleared for an ordinary email
-- campaign now?". It has no sequences, so campaign planning never selects it.

INSERT INTO outreach.campaigns (campaign_id, name, channel, min_tier, status)
VALUES ('SMOKE-TEST', 'Smoke test (dry-run gate checks only; never sends)', 'EMAIL', 1, 'active');
