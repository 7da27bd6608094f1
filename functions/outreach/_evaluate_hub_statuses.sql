-- outreach._evaluate_hub_statuses: private; the promotion rounds of
-- fn_evaluate_hub_statuses and fn_evaluate_hub_statuses_range (docs/reference/hubs.md)
-- for one company (p_outreach_id and its p_company) or for every company with
-- p_from <= company_unique_id < p_to (a NULL bound is open). Only those two
-- SECURITY DEFINER functions call it: it runs as their owner, whom the
-- sovereign guard of company_hub_status checks.
CREATE OR REPLACE FUNCTION outreach._evaluate_hub_statuses(
    p_outreach_id uuid,
    p_company text,
    p_from text,
    p_to text)
RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
-- every company: the rounds join and sort a few rows per company and hub;
-- in memory they take a fifth less time than spilled to disk (1M companies)
SET work_mem = '256MB'
AS $$
DECLARE
    v_round integer := 0;
    v_changed integer;
    v_hubs text[];
    v_total integer := 0;
    v_promoted text[];
    v_companies text[] := '{}'::text[];
BEGIN
    PERFORM shq.fn_sanction('outreach.company_hub_status');
    -- TIER_CHANGED once, after the last round, for every company promoted:
    -- the hub status triggers leave it to us meanwhile (a tier a company only
    -- passes through between two rounds is never announced)
    PERFORM set_config('outreach.tier_detection', 'deferred', true);
    -- Each round promotes every hub whose gate passes given the statuses of
    -- the rounds before: company-target first, then the hubs that need it.
    -- Only a PASS can change a gate between rounds (DONE and the errors are
    -- read in this one transaction), so the loop ends as soon as a round
    -- promotes no hub that another hub lists as a prerequisite: a further
    -- round could only repeat the last one's verdicts. That saves the final,
    -- empty pass over every company.
    LOOP
        v_round := v_round + 1;
        IF p_outreach_id IS NULL THEN
            WITH promoted AS (
                INSERT INTO outreach.company_hub_status AS s (company_unique_id, hub_id, status, status_reason, updated_at)
                SELECT g.company_unique_id, g.hub_id, 'PASS', 'promoted by outreach.fn_evaluate_hub_statuses', now()
                  FROM shq._hub_gates g
                 WHERE g.current_status IS DISTINCT FROM 'PASS'
                   AND g.done AND g.blocking_errors = 0 AND g.prerequisites_passed
                   AND (p_from IS NULL OR g.company_unique_id >= p_from)
                   AND (p_to IS NULL OR g.company_unique_id < p_to)
                 -- in key order: the primary key is written page after page
                 -- (less CPU than in join order for a large range)
                 -- and concurrent evaluations take row locks in one order
                 ORDER BY g.company_unique_id, g.hub_id
                ON CONFLICT (company_unique_id, hub_id) DO UPDATE
                   SET status = EXCLUDED.status, status_reason = EXCLUDED.status_reason, updated_at = EXCLUDED.updated_at
                 WHERE s.status IS DISTINCT FROM 'PASS'
                RETURNING s.hub_id, s.company_unique_id),
            -- the hubs promoted: grouped (a few groups) rather than DISTINCT,
            -- which would sort every promoted row
            by_hub AS (SELECT promoted.hub_id, count(*) AS n FROM promoted GROUP BY promoted.hub_id)
            SELECT (SELECT coalesce(sum(b.n), 0)::integer FROM by_hub b), (SELECT array_agg(b.hub_id) FROM by_hub b),
                   (SELECT array_agg(promoted.company_unique_id) FROM promoted)
              INTO v_changed, v_hubs, v_promoted;
        ELSE
            -- both ids: an index lookup of the one company
            WITH promoted AS (
                INSERT INTO outreach.company_hub_status AS s (company_unique_id, hub_id, status, status_reason, updated_at)
                SELECT g.company_unique_id, g.hub_id, 'PASS', 'promoted by outreach.fn_evaluate_hub_statuses', now()
                  FROM shq._hub_gates g
                 WHERE g.outreach_id = p_outreach_id AND g.company_unique_id = p_company
                   AND g.current_status IS DISTINCT FROM 'PASS'
                   AND g.done AND g.blocking_errors = 0 AND g.prerequisites_passed
                ON CONFLICT (company_unique_id, hub_id) DO UPDATE
                   SET status = EXCLUDED.status, status_reason = EXCLUDED.status_reason, updated_at = EXCLUDED.updated_at
                 WHERE s.status IS DISTINCT FROM 'PASS'
                RETURNING s.hub_id, s.company_unique_id)
            SELECT count(*), array_agg(DISTINCT promoted.hub_id), array_agg(DISTINCT promoted.company_unique_id)
              INTO v_changed, v_hubs, v_promoted
              FROM promoted;
        END IF;
        v_total := v_total + v_changed;
        v_companies := v_companies || coalesce(v_promoted, '{}');
        EXIT WHEN v_changed = 0
               OR NOT EXISTS (SELECT 1 FROM outreach.hub_registry hr WHERE hr.prerequisite_hubs && v_hubs)
               OR v_round > (SELECT count(*) FROM outreach.hub_registry);
    END LOOP;
    PERFORM shq.fn_sanction('');
    PERFORM set_config('outreach.tier_detection', '', true);
    -- like the (ENABLE ORIGIN) triggers it stands in for: silent for a replica
    IF current_setting('session_replication_role') <> 'replica' THEN
        PERFORM outreach._outbox_tier_changes(v_companies, 'hub_status');
    END IF;
    RETURN v_total;
END
$$;
COMMENT ON FUNCTION outreach._evaluate_hub_statuses(uuid, text, text, text) IS
    'Internal: the promotion rounds of fn_evaluate_hub_statuses (one company) and fn_evaluate_hub_statuses_range (a half-open range of company_unique_id, NULL bounds open), then one TIER_CHANGED detection for the companies promoted; returns the rows changed. Called only by those SECURITY DEFINER functions.';
