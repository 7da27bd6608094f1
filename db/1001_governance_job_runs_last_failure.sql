-- Job health gains each job's last failure: shq.fn_governance_job_runs() returns one more column,
-- and a function's result type cannot be replaced, only dropped and created again (docs/reference/governance.md).
-- depends: 1000_metrics_monitor_role_snapshot
SET LOCAL search_path = pg_catalog, pg_temp;

-- CASCADE drops shq.vw_governance_job_health, which reads it; `pyctl migrate`
-- re-creates both from functions/ and views/ right after the migrations.
DROP FUNCTION IF EXISTS shq.fn_governance_job_runs() CASCADE;
