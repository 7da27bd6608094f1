-- shq.vw_governance_job_health: health of the governance pg_cron jobs (docs/reference/governance.md): last run,
-- status, overdue (no success within twice its period), failures. Works without pg_cron.
CREATE OR REPLACE VIEW shq.vw_governance_job_health AS
SELECT h.job_name,
       h.schedule,
       h.period,
       h.job_id,
       h.active,
       h.username,
       CASE WHEN h.cron_state OPERATOR(pg_catalog.<>) 'OK' THEN h.cron_state
            -- pg_cron shows each role only its own jobs (superusers see all): a
            -- job that the last scheduling registered as another role is hidden
            -- from this one, not missing
            WHEN h.job_id IS NULL AND s.scheduled_as OPERATOR(pg_catalog.<>) CURRENT_USER::pg_catalog.text
                 AND s.jobs OPERATOR(pg_catalog.?) h.job_name
                 AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r
                           WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN 'NOT_VISIBLE'
            WHEN h.job_id IS NULL THEN 'NOT_SCHEDULED'
            WHEN NOT h.active THEN 'INACTIVE'
            WHEN h.last_status IS NULL THEN 'NEVER_RUN'
            ELSE pg_catalog.upper(h.last_status)
       END AS status,
       h.last_run_at,
       h.last_message,
       h.last_success_at,
       h.runs,
       h.failures,
       -- no success within twice the period, counted from the last success,
       -- else from when `pyctl schedule` last registered the jobs; NULL when
       -- the job is not visible (not scheduled, or pg_cron unavailable)
       CASE WHEN h.job_id IS NULL THEN NULL
            ELSE coalesce(h.last_success_at, s.scheduled_at, '-infinity'::pg_catalog.timestamptz)
                 OPERATOR(pg_catalog.<) (pg_catalog.now() OPERATOR(pg_catalog.-) (h.period OPERATOR(pg_catalog.*) 2))
       END AS overdue,
       h.last_failure_at,
       s.scheduled_as
  FROM shq.fn_governance_job_runs() AS h
 CROSS JOIN (SELECT pg_catalog.max(a.occurred_at) AS scheduled_at,
                    -- the role and the job names of the last scheduling
                    (pg_catalog.array_agg(a.details OPERATOR(pg_catalog.->>) 'scheduled_as'
                                          ORDER BY a.occurred_at DESC, a.audit_id DESC))[1] AS scheduled_as,
                    (pg_catalog.array_agg(pg_catalog.jsonb_path_query_array(a.details, '$.jobs[*].job_name')
                                          ORDER BY a.occurred_at DESC, a.audit_id DESC))[1] AS jobs
               FROM shq.audit_log AS a
              WHERE a.event_type OPERATOR(pg_catalog.=) 'GOVERNANCE_JOBS_SCHEDULED') AS s;
COMMENT ON VIEW shq.vw_governance_job_health IS
    'Governance pg_cron jobs: status (last run status, NEVER_RUN, INACTIVE, NOT_SCHEDULED, NOT_VISIBLE when another role scheduled it and pg_cron hides it from this one, or PG_CRON_* when pg_cron is unavailable), last run, last success, last failure, runs and failures in 30 days, overdue = no success within twice the period, scheduled_as = the role of the last scheduling (docs/reference/governance.md).';
GRANT SELECT ON shq.vw_governance_job_health TO outreach_governor, outreach_reader;
