-- The safety gate says why it failed closed: send_attempt_audit.block_detail, and the gate returns it
-- as a sixth column after the five of its contract (docs/reference/gate.md).
-- depends: 1001_governance_job_runs_last_failure
SET LOCAL search_path = pg_catalog, pg_temp;

-- Nullable, no default: adding it rewrites nothing, and every row written
-- before it reads NULL (no detail recorded). The seal chain records the column
-- list of each seal, so the seals made before this column existed keep
-- verifying, and the seals made after it cover it.
ALTER TABLE outreach.send_attempt_audit ADD COLUMN block_detail text;
COMMENT ON COLUMN outreach.send_attempt_audit.block_detail IS
    'Why the verdict is what it is, in words: for ELIGIBILITY_CHECK_FAILED which check failed (e.g. unknown company ''NOPE-123'', channel SMS is not EMAIL/PHONE, correlation id is blank, or the SQLSTATE of an internal error); for any other block the condition that applied; NULL for a pass and for rows written before the column existed.';

-- A function's result type cannot be replaced, only dropped and created
-- again: `pyctl migrate` re-creates the gate from functions/ (with its grant to
-- outreach_sender) right after the migrations, in the same run. Nothing in the
-- database depends on it (its callers are PL/pgSQL bodies, resolved at run
-- time), so no CASCADE: a dependant added later makes this fail loudly.
DROP FUNCTION IF EXISTS outreach.fn_safety_gate_check(text, text, text, text, boolean);
