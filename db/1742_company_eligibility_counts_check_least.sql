-- outreach.company_eligibility: the CHECK on the three hub counts (none below zero) states the same rule as
-- one comparison of their LEAST (docs/maintained-eligibility.md).
-- depends: 1760_company_eligibility_override_state
SET LOCAL search_path = pg_catalog, pg_temp;

-- Why: every statement that writes a row of the table reads its CHECK's
-- stored expression, plans and compiles it again, and the maintenance writes
-- one row per statement on every single-row write of an input. One LEAST and
-- one comparison are half the nodes of three comparisons and their AND. The
-- rule is the same: the three columns are NOT NULL (LEAST ignores NULLs), and
-- the least of three integers is at least zero exactly when each is. The rows
-- stored satisfy the old constraint, hence the new one; validating it reads
-- the table once.
ALTER TABLE outreach.company_eligibility
    DROP CONSTRAINT company_eligibility_hub_counts_check,
    ADD CONSTRAINT company_eligibility_hub_counts_check
        CHECK (LEAST(required_passed, optional_passed, required_failed) >= 0);
COMMENT ON CONSTRAINT company_eligibility_hub_counts_check ON outreach.company_eligibility IS
    'No hub count below zero: the least of required_passed, optional_passed and required_failed (NOT NULL each) is at least 0 (one constraint, one comparison, set up once per writing statement).';
