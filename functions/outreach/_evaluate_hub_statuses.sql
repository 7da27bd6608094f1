-- outreach._evaluate_hub_statuses: private; the promotion of
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
-- every company: the pass joins, groups and sorts a few rows per company and
-- hub; in memory it takes less time than spilled to disk (1M companies)
SET work_mem = '256MB'
AS $$
DECLARE
    v_round integer := 0;
    v_changed integer;
    v_hubs text[];
    v_total integer := 0;
    v_companies text[] := '{}'::text[];
    v_written boolean := false;
    -- like the (ENABLE ORIGIN) triggers it stands in for: silent for a replica
    v_announce constant boolean := current_setting('session_replication_role') <> 'replica';
    -- the bulk statement ($1, $2: the range; $3: v_announce; %s: the
    -- conflict clause, if any)
    v_promote constant text := $sql$
        WITH RECURSIVE candidates AS MATERIALIZED (
            -- (the key in byte order again: a function's result takes the
            -- default collation)
            SELECT c.company_unique_id COLLATE "C" AS company_unique_id, c.passed_hubs, c.hubs
              FROM shq._hub_gate_candidates($1, $2) AS c),
        rounds AS (
            SELECT k.passed_hubs, k.hubs, k.passed_hubs AS passed
              FROM (SELECT DISTINCT c.passed_hubs, c.hubs FROM candidates c) k
            UNION ALL
            -- a round: the candidates not yet passed whose prerequisites have
            SELECT r.passed_hubs, r.hubs, r.passed || n.hubs
              FROM rounds r
             CROSS JOIN LATERAL (
                    SELECT array_agg(hr.hub_id) AS hubs
                      FROM outreach.hub_registry hr
                     WHERE hr.hub_id = ANY (r.hubs) AND hr.hub_id <> ALL (r.passed)
                       AND coalesce(hr.prerequisite_hubs, '{}'::text[]) <@ r.passed) n
             WHERE n.hubs IS NOT NULL),
        settled AS (
            -- the last round of each pair passed the most
            SELECT DISTINCT ON (r.passed_hubs, r.hubs) r.passed_hubs, r.hubs, r.passed
              FROM rounds r
             ORDER BY r.passed_hubs, r.hubs, cardinality(r.passed) DESC),
        promoted AS (
            INSERT INTO outreach.company_hub_status AS s (company_unique_id, hub_id, status, status_reason, updated_at)
            SELECT p.company_unique_id, p.hub_id, 'PASS', 'promoted by outreach.fn_evaluate_hub_statuses', now()
              FROM (SELECT c.company_unique_id, h.hub_id
                      FROM candidates c
                      JOIN settled f ON f.passed_hubs = c.passed_hubs AND f.hubs = c.hubs
                     CROSS JOIN LATERAL unnest(c.hubs) AS h(hub_id)
                     WHERE h.hub_id = ANY (f.passed)
                     -- in byte order, the primary key's own under a C or
                     -- C.UTF-8 database collation: the key is written page
                     -- after page (less CPU than in join order for a large
                     -- range), the sort compares bytes rather than through
                     -- the locale, and concurrent evaluations take row locks
                     -- in one order. Only the key is sorted (the constant
                     -- columns are added after it): a narrower sort, in memory
                     ORDER BY c.company_unique_id, h.hub_id COLLATE "C") AS p
            %s
            RETURNING s.company_unique_id)
        -- (the companies only when they are announced: a fresh range lists
        -- each company once per hub promoted)
        SELECT count(*)::integer, array_agg(promoted.company_unique_id) FILTER (WHERE $3)
          FROM promoted$sql$;
BEGIN
    PERFORM shq.fn_sanction('outreach.company_hub_status');
    -- TIER_CHANGED once, at the end, for every company promoted: the hub
    -- status triggers leave it to us meanwhile (a tier a company only passes
    -- through between two rounds, or between the insert and the update of
    -- the one upsert, is never announced)
    PERFORM set_config('outreach.tier_detection', 'deferred', true);
    IF p_outreach_id IS NULL THEN
        -- Every company of the range: one statement, one pass over the gates.
        -- The rounds of the one-company path below (each promotes every hub
        -- whose gate passes given the rounds before) end at the least fixed
        -- point of the gates, which depends on a company only through two
        -- sets: its hubs at PASS and its candidates (DONE, no blocking
        -- errors, not at PASS; only a PASS can change a gate, since DONE
        -- and the errors are read in this one transaction). So the rounds
        -- run once per distinct pair of sets (a few dozen, whatever the
        -- number of companies), over the registry's prerequisites, and each
        -- company takes the hubs its pair settles at.
        -- A range that holds no status yet (a fresh load) takes its rows as
        -- a plain insert: there is no row to conflict with, so none of the
        -- upsert's per-row probe of the key and speculative insertion. Should
        -- a concurrent writer give one of its companies a first status
        -- meanwhile, that insert fails with 23505 and is rolled back, and the
        -- upsert writes the range instead: the same rows either way. (One
        -- statement text for both: EXECUTE, with the bounds as parameters.)
        IF NOT EXISTS (SELECT 1 FROM outreach.company_hub_status s
                        WHERE (p_from IS NULL OR s.company_unique_id >= p_from)
                          AND (p_to IS NULL OR s.company_unique_id < p_to)) THEN
            BEGIN
                EXECUTE format(v_promote, '') INTO v_total, v_companies USING p_from, p_to, v_announce;
                v_written := true;
            EXCEPTION WHEN unique_violation THEN
                v_written := false;
            END;
        END IF;
        IF NOT v_written THEN
            EXECUTE format(v_promote, $c$ON CONFLICT (company_unique_id, hub_id) DO UPDATE
               SET status = EXCLUDED.status, status_reason = EXCLUDED.status_reason, updated_at = EXCLUDED.updated_at
             WHERE s.status IS DISTINCT FROM 'PASS'$c$)
               INTO v_total, v_companies USING p_from, p_to, v_announce;
        END IF;
    ELSE
        -- One company (both ids: index lookups): the rounds themselves, each
        -- a few lookups. Each round promotes every hub whose gate passes given
        -- the rounds before: company-target first, then the hubs that need
        -- it. The loop ends as soon as a round promotes no hub that another
        -- hub lists as a prerequisite: a further round could only repeat the
        -- last one's verdicts.
        LOOP
            v_round := v_round + 1;
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
                RETURNING s.hub_id)
            SELECT count(*), array_agg(promoted.hub_id)
              INTO v_changed, v_hubs
              FROM promoted;
            v_total := v_total + v_changed;
            EXIT WHEN v_changed = 0
                   OR NOT EXISTS (SELECT 1 FROM outreach.hub_registry hr WHERE hr.prerequisite_hubs && v_hubs)
                   OR v_round > (SELECT count(*) FROM outreach.hub_registry);
        END LOOP;
        IF v_total > 0 THEN
            v_companies := ARRAY[p_company];
        END IF;
    END IF;
    PERFORM shq.fn_sanction('');
    PERFORM set_config('outreach.tier_detection', '', true);
    IF v_announce THEN
        PERFORM outreach._outbox_tier_changes(coalesce(v_companies, '{}'::text[]), 'hub_status');
    END IF;
    RETURN v_total;
END
$$;
COMMENT ON FUNCTION outreach._evaluate_hub_statuses(uuid, text, text, text) IS
    'Internal: the promotion of fn_evaluate_hub_statuses (one company: rounds until nothing changes) and fn_evaluate_hub_statuses_range (a half-open range of company_unique_id, NULL bounds open: one statement that settles each distinct pair of passed and candidate hub sets over the registry''s prerequisites, the same fixed point), then one TIER_CHANGED detection for the companies promoted; returns the rows changed. Called only by those SECURITY DEFINER functions.';
