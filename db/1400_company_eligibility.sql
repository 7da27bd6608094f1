-- The maintained eligibility row (docs/maintained-eligibility.md): per spine company, every
-- input of the tier rule that does not depend on the clock, kept by statement-level triggers.
-- depends: 0850_guarded_tables 1001_governance_job_runs_last_failure
SET LOCAL search_path = pg_catalog, pg_temp;

-- One row per spine company (outreach.outreach joined with CL). Written only
-- by outreach.fn_rebuild_company_eligibility (called by the statement-level
-- triggers of every input table, and by `pyctl migrate`, which also fills it
-- the first time: this migration runs before the repeatable sources that
-- define the from-scratch computation, so the fill is not copied here) and
-- by the BIT scores' update trigger. Rows are updated in place by small
-- writes: a fillfactor below 100 keeps those updates HOT (no index key changes).
CREATE TABLE outreach.company_eligibility (
    company_unique_id         text PRIMARY KEY,
    outreach_id               uuid NOT NULL,
    eligibility_status        text NOT NULL,
    outreach_status           text,
    required_passed           integer NOT NULL CHECK (required_passed >= 0),
    optional_passed           integer NOT NULL CHECK (optional_passed >= 0),
    required_failed           integer NOT NULL CHECK (required_failed >= 0),
    has_campaign_ready_person boolean NOT NULL,
    bit_score                 numeric,
    score_tier                text
) WITH (fillfactor = 90);
COMMENT ON TABLE outreach.company_eligibility IS
    'Maintained, per spine company: the clock-independent inputs of the tier rule (CL eligibility, outreach_status, required hubs at PASS, optional hubs at PASS, required hubs at FAIL/BLOCKED, a campaign-ready person, the stored BIT score). Kept in the writing transaction by statement-level triggers of every input; outreach.vw_marketing_eligibility applies the tier rule to it. Sovereign: written only by outreach.fn_rebuild_company_eligibility and the triggers.';
COMMENT ON COLUMN outreach.company_eligibility.eligibility_status IS 'cl.company_identity.eligibility_status.';
COMMENT ON COLUMN outreach.company_eligibility.outreach_status IS 'outreach.company_target.outreach_status; NULL without a Company Target.';
COMMENT ON COLUMN outreach.company_eligibility.required_passed IS 'Required hubs at PASS (outreach.company_hub_status).';
COMMENT ON COLUMN outreach.company_eligibility.optional_passed IS 'Optional hubs at PASS.';
COMMENT ON COLUMN outreach.company_eligibility.required_failed IS 'Required hubs at FAIL or BLOCKED.';
COMMENT ON COLUMN outreach.company_eligibility.has_campaign_ready_person IS 'A verified person seated in a filled people.company_slot (tier 3).';
COMMENT ON COLUMN outreach.company_eligibility.bit_score IS 'outreach.bit_scores.score as last refreshed (NULL: never scored); decay is applied by the refresh, not here.';
COMMENT ON COLUMN outreach.company_eligibility.score_tier IS 'outreach.bit_scores.score_tier as last refreshed.';
