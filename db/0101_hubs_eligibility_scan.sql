-- Hub model read paths (docs/reference/hubs.md): THE authoritative view reads every
-- table in company_unique_id order and merges them; these covering indexes let
-- it do so with index-only scans (and bit_scores, keyed by outreach_id, join in
-- the same order).
-- depends: 0100_hubs_read_paths

CREATE INDEX bit_scores_company_idx ON outreach.bit_scores (company_unique_id) INCLUDE (outreach_id, score, score_tier);
CREATE INDEX outreach_company_cover_idx ON outreach.outreach (company_unique_id) INCLUDE (outreach_id);
CREATE INDEX company_identity_eligibility_cover_idx ON cl.company_identity (company_unique_id) INCLUDE (eligibility_status);
CREATE INDEX company_target_status_cover_idx ON outreach.company_target (company_unique_id) INCLUDE (outreach_status);
