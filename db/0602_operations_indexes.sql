-- Indexes for the cascade deletion and orphan archiving paths (docs/reference/operations.md).
-- depends: 0601_smoke_test_campaign

-- fn_delete_outreach_cascade step 4 removes every override row (active or
-- not) of the company; the partial unique index covers only the active ones.
CREATE INDEX manual_overrides_company_all_idx ON outreach.manual_overrides (company_unique_id);
-- step 1 finds the company's sends (and their engagement events) by outreach_id
CREATE INDEX send_log_outreach_id_idx ON outreach.send_log (outreach_id);
