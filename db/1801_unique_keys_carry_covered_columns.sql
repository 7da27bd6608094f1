-- The three covering indexes of 0101_hubs_eligibility_scan repeated a unique
-- key of their table with one more column (INCLUDE), so every row written
-- went into two indexes on the same key. The unique keys now carry that
-- column themselves and the copies go: the same index-only reads, one index
-- fewer to write per company (docs/reference/hubs.md, "Views").
-- The foreign keys that reference two of these keys depend on their index,
-- so they are dropped first and added again, as they were (added again, they
-- are checked against every row: one set-based check each).
-- depends: 1800_outbox_events_tx_distinct
SET LOCAL search_path = pg_catalog, pg_temp;

ALTER TABLE outreach.outreach DROP CONSTRAINT outreach_company_unique_id_fkey;
ALTER TABLE outreach.manual_overrides DROP CONSTRAINT manual_overrides_company_unique_id_fkey;
ALTER TABLE outreach.company_hub_status DROP CONSTRAINT company_hub_status_company_unique_id_fkey;

ALTER TABLE cl.company_identity
    DROP CONSTRAINT company_identity_pkey,
    ADD CONSTRAINT company_identity_pkey PRIMARY KEY (company_unique_id) INCLUDE (eligibility_status);
DROP INDEX cl.company_identity_eligibility_cover_idx;

ALTER TABLE outreach.outreach
    DROP CONSTRAINT outreach_company_unique_id_key,
    ADD CONSTRAINT outreach_company_unique_id_key UNIQUE (company_unique_id) INCLUDE (outreach_id);
DROP INDEX outreach.outreach_company_cover_idx;

ALTER TABLE outreach.company_target
    DROP CONSTRAINT company_target_company_unique_id_key,
    ADD CONSTRAINT company_target_company_unique_id_key UNIQUE (company_unique_id) INCLUDE (outreach_status);
DROP INDEX outreach.company_target_status_cover_idx;

ALTER TABLE outreach.outreach ADD CONSTRAINT outreach_company_unique_id_fkey
    FOREIGN KEY (company_unique_id) REFERENCES cl.company_identity (company_unique_id);
ALTER TABLE outreach.manual_overrides ADD CONSTRAINT manual_overrides_company_unique_id_fkey
    FOREIGN KEY (company_unique_id) REFERENCES cl.company_identity (company_unique_id);
ALTER TABLE outreach.company_hub_status ADD CONSTRAINT company_hub_status_company_unique_id_fkey
    FOREIGN KEY (company_unique_id) REFERENCES outreach.outreach (company_unique_id);

COMMENT ON CONSTRAINT company_identity_pkey ON cl.company_identity IS
    'One row per company; carries eligibility_status (INCLUDE) so that a read of a company''s eligibility is index-only.';
COMMENT ON CONSTRAINT outreach_company_unique_id_key ON outreach.outreach IS
    'One spine row per company; carries outreach_id (INCLUDE) so that the company-to-spine lookup is index-only.';
COMMENT ON CONSTRAINT company_target_company_unique_id_key ON outreach.company_target IS
    'One Company Target per company; carries outreach_status (INCLUDE) so that a read of a company''s status is index-only.';
