-- outreach._company_eligibility_from_scratch: the inputs of the tier rule per spine company,
-- computed from the source tables (docs/reference/hubs.md); what outreach.company_eligibility must hold.
CREATE OR REPLACE VIEW outreach._company_eligibility_from_scratch AS
SELECT s.*,
       -- the tier by the rule's one definition, from the inputs above: the row's
       -- last column, written with them (docs/maintained-eligibility.md)
       outreach._eligibility_tier(s.eligibility_status, s.required_failed, s.required_passed,
                                  s.optional_passed, s.has_campaign_ready_person) AS computed_tier
  FROM (SELECT o.company_unique_id,
              o.outreach_id,
              ci.eligibility_status,
              ct.outreach_status,
              -- a company without hub rows has passed and failed nothing
              coalesce(r.passed - r.optional_passed, 0)::integer  AS required_passed,
              coalesce(r.optional_passed, 0)::integer             AS optional_passed,
              coalesce(r.required_bad, 0)::integer                AS required_failed,
              vp.company_unique_id IS NOT NULL                    AS has_campaign_ready_person,
              bs.score                                            AS bit_score,
              bs.score_tier,
              -- the kill switch's overrides (outreach._company_override_state)
              os.override_block_outreach_until,
              os.override_block_email_until,
              os.override_block_phone_until,
              os.override_force_tier_until,
              os.override_force_tier_cap
         FROM outreach.outreach o
         -- a LEFT JOIN that finds its row: the spine's foreign key to CL (not deferrable)
         -- gives every spine row its CL row; a query that reads no CL column (the
         -- maintenance of another input's columns) so drops the join
         LEFT JOIN cl.company_identity ci ON ci.company_unique_id = o.company_unique_id
         LEFT JOIN outreach.company_target ct ON ct.company_unique_id = o.company_unique_id
         LEFT JOIN outreach._hub_rollup r ON r.company_unique_id = o.company_unique_id
         LEFT JOIN outreach._verified_people vp ON vp.company_unique_id = o.company_unique_id
         LEFT JOIN outreach.bit_scores bs
                ON bs.company_unique_id = o.company_unique_id AND bs.outreach_id = o.outreach_id
         LEFT JOIN outreach._company_override_state os ON os.company_unique_id = o.company_unique_id) s;
COMMENT ON VIEW outreach._company_eligibility_from_scratch IS
    'Internal: per spine company, the clock-independent inputs of the tier rule and the state of its overrides computed from the source tables, and the computed tier by outreach._eligibility_tier, in the columns of outreach.company_eligibility. Read it through outreach.fn_company_eligibility_from_scratch.';
