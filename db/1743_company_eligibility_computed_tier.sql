-- outreach.company_eligibility: the row keeps the company's computed tier, which does not depend
-- on the clock, so a read of the authoritative view (every safety-gate check) does not apply the
-- tier rule again (docs/maintained-eligibility.md).
-- depends: 1760_company_eligibility_override_state
SET LOCAL search_path = pg_catalog, pg_temp;

-- Last column, as the from-scratch view's last column. It starts at -1 (fail
-- closed: no send passes the gate on it) for the rows already there, without
-- rewriting the table; the rebuild at the end of `pyctl migrate` writes every
-- row's tier. No default after that: every writer of a row writes its tier.
ALTER TABLE outreach.company_eligibility
    ADD COLUMN computed_tier integer NOT NULL DEFAULT -1;
ALTER TABLE outreach.company_eligibility
    ALTER COLUMN computed_tier DROP DEFAULT;
COMMENT ON COLUMN outreach.company_eligibility.computed_tier IS
    'The company''s tier (-1..3) by outreach._eligibility_tier over this row''s inputs and the registry''s hub totals, written with them (docs/maintained-eligibility.md).';
