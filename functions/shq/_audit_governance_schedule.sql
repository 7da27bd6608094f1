-- shq._audit_governance_schedule: the shq.audit_log row of `pyctl schedule` /
-- shq.fn_schedule_governance_jobs() (docs/reference/operations.md); fixed event type, so it cannot forge others.
CREATE OR REPLACE FUNCTION shq._audit_governance_schedule(p_details jsonb)
RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO shq.audit_log (event_type, details)
    VALUES ('GOVERNANCE_JOBS_SCHEDULED', coalesce(p_details, '{}'::jsonb));
$$;
COMMENT ON FUNCTION shq._audit_governance_schedule(jsonb) IS
    'Private: appends the GOVERNANCE_JOBS_SCHEDULED audit row (its time is the baseline of the job health overdue check) (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq._audit_governance_schedule(jsonb) TO outreach_governor;
