-- shq._hub_gate_candidates: the candidates of the range evaluation
-- (outreach._evaluate_hub_statuses; docs/reference/hubs.md): per company with
-- p_from <= company_unique_id < p_to (a NULL bound is open), the hubs whose
-- gate is DONE with no blocking errors and that are not at PASS, with the hubs
-- at PASS. Read from shq._hub_gates, the one home of the gate.
CREATE OR REPLACE FUNCTION shq._hub_gate_candidates(p_from text, p_to text)
RETURNS TABLE (company_unique_id text, passed_hubs text[], hubs text[])
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
-- The planner keeps the joins in the order the views write them: each spine
-- company meets its sub-hub rows once, before the cross join with the
-- registry multiplies it by the number of hubs. Left free, it joins a
-- sub-hub table after the cross join, once per company and hub, for a large
-- range. No parallel workers: the range evaluations already run one
-- session per core, and a worker would build some hash tables a second time.
-- (SET clauses of this function only: the trigger paths and the one-company
-- evaluation plan as before.)
SET join_collapse_limit = 1
SET from_collapse_limit = 1
SET max_parallel_workers_per_gather = 0
AS $$
SELECT g.company_unique_id COLLATE "C",
       (g.passed_hubs COLLATE "C") COLLATE "default",
       array_agg(g.hub_id)
  FROM shq._hub_gates g
 WHERE g.current_status IS DISTINCT FROM 'PASS'
   AND g.done AND g.blocking_errors = 0
   AND (p_from IS NULL OR g.company_unique_id >= p_from)
   AND (p_to IS NULL OR g.company_unique_id < p_to)
 -- grouped (sorted or hashed) by bytes, not through the locale: the same
 -- groups (equality of text is bytewise either way)
 GROUP BY g.company_unique_id COLLATE "C", g.passed_hubs COLLATE "C"
$$;
COMMENT ON FUNCTION shq._hub_gate_candidates(text, text) IS
    'Internal: per company of a half-open range of company_unique_id (NULL bounds open), the hubs whose gate (shq._hub_gates) is DONE with no blocking errors and not at PASS, and its hubs at PASS; joins planned in the views'' order. Read by outreach._evaluate_hub_statuses.';
