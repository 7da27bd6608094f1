-- Campaign orchestration (docs/reference/gate.md): a send's step belongs to its campaign, the planner's and status trigger's indexes, read grants.
-- depends: 0007_tool_canon

-- A send_log row that names a sequence step names a step of its own campaign
-- (sends without a step, sequence_id NULL, are not checked: MATCH SIMPLE).
ALTER TABLE outreach.sequences
    ADD CONSTRAINT sequences_sequence_campaign_key UNIQUE (sequence_id, campaign_id);
ALTER TABLE outreach.send_log
    ADD CONSTRAINT send_log_sequence_campaign_fkey FOREIGN KEY (sequence_id, campaign_id)
        REFERENCES outreach.sequences (sequence_id, campaign_id);

-- outreach.fn_plan_campaign_sends reads one campaign's sends in one pass, in
-- company order, from the index alone (last step sent and when, per company).
CREATE INDEX send_log_campaign_outreach_idx
    ON outreach.send_log (campaign_id, outreach_id) INCLUDE (sequence_id, sent_at);
-- The status trigger reads every send of the targets just sent to.
CREATE INDEX send_log_target_step_idx
    ON outreach.send_log (target_id) INCLUDE (campaign_id, sequence_id);

-- The sender plans (outreach.fn_plan_campaign_sends joins the targets) and
-- needs a company's target_id and outreach_id to record its send_log row.
GRANT SELECT ON outreach.company_target TO outreach_sender;
