-- outreach.company_eligibility: its three per-column CHECKs (no hub count below zero) become one CHECK of
-- the same three conditions (docs/maintained-eligibility.md).
-- depends: 1720_state_history_keys_fixed
SET LOCAL search_path = pg_catalog, pg_temp;

-- Why: every statement that writes a row of the table prepares each of its
-- CHECK constraints again (the stored expression is read, planned and
-- compiled per statement and constraint), and the maintenance writes one row
-- per statement on every single-row write of an input. One constraint holds
-- the same rule at a third of that set-up. The rows already stored satisfy
-- the old constraints, hence the new one; validating it reads the table once.
ALTER TABLE outreach.company_eligibility
    DROP CONSTRAINT company_eligibility_required_passed_check,
    DROP CONSTRAINT company_eligibility_optional_passed_check,
    DROP CONSTRAINT company_eligibility_required_failed_check,
    ADD CONSTRAINT company_eligibility_hub_counts_check
        CHECK (required_passed >= 0 AND optional_passed >= 0 AND required_failed >= 0);
COMMENT ON CONSTRAINT company_eligibility_hub_counts_check ON outreach.company_eligibility IS
    'No hub count below zero: required_passed, optional_passed and required_failed (one constraint, set up once per writing statement).';
