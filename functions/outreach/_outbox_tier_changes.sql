-- outreach._outbox_tier_changes: the one detection of TIER_CHANGED: the companies among p_company_ids whose
-- effective tier differs from the one CL was last told get an event, in the caller's transaction.
CREATE OR REPLACE FUNCTION outreach._outbox_tier_changes(
    p_company_ids text[],
    p_cause text,
    p_prefilter boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- Called by the writers' statement-level triggers (hub status, overrides, CL
-- eligibility) with the companies a statement touched, by the bulk hub
-- evaluation once at its end, and by the daily reconciliation.
-- Concurrency: two transactions changing one company's tier inputs (a hub
-- status and an override, say) each see only their own change until the
-- other commits. So each first locks the company's row of
-- outreach.outbox_tier_state (in company order), then reads the tiers in a
-- new statement, which sees whatever the other committed before the lock was
-- granted: the last to commit announces the tier made of both changes.
-- p_prefilter (the reconciliation, which changes no input itself): compare
-- without locks first and lock only the companies that differ; a concurrent
-- change is announced by its own transaction.
-- Returns the number of TIER_CHANGED events written.
DECLARE
    v_ids text[] := p_company_ids;
    v_count integer;
BEGIN
    IF p_cause IS NULL OR p_cause NOT IN ('hub_status', 'override', 'cl_eligibility', 'reconcile') THEN
        RAISE EXCEPTION 'unknown TIER_CHANGED cause %', coalesce(quote_literal(p_cause), 'NULL')
            USING ERRCODE = '22023', HINT = 'Use hub_status, override, cl_eligibility or reconcile.';
    END IF;
    IF v_ids IS NULL OR cardinality(v_ids) = 0 THEN
        RETURN 0;
    END IF;
    IF p_prefilter THEN
        SELECT coalesce(array_agg(t.company_unique_id), '{}') INTO v_ids
          FROM outreach._outbox_current_tiers(v_ids) AS t
          LEFT JOIN outreach.outbox_tier_state s ON s.company_unique_id = t.company_unique_id
         WHERE s.effective_tier IS DISTINCT FROM t.effective_tier;
        IF cardinality(v_ids) = 0 THEN
            RETURN 0;
        END IF;
    END IF;

    -- 1. the lock: every company's state row, created when missing, in company order
    INSERT INTO outreach.outbox_tier_state (company_unique_id)
    SELECT DISTINCT u.id FROM unnest(v_ids) AS u(id)
     WHERE EXISTS (SELECT 1 FROM outreach.outreach o WHERE o.company_unique_id = u.id)
    ON CONFLICT (company_unique_id) DO NOTHING;
    PERFORM 1 FROM outreach.outbox_tier_state s
      JOIN (SELECT DISTINCT u.id FROM unnest(v_ids) AS u(id)) AS c ON c.id = s.company_unique_id
     ORDER BY s.company_unique_id
       FOR UPDATE OF s;

    -- 2. a new snapshot: the tiers now, against what CL was told
    WITH changed AS (
        SELECT t.company_unique_id, t.outreach_id, t.effective_tier, t.computed_tier, t.tier_reason,
               s.effective_tier AS previous_tier
          FROM outreach._outbox_current_tiers(v_ids) AS t
          JOIN outreach.outbox_tier_state s ON s.company_unique_id = t.company_unique_id
         WHERE s.effective_tier IS DISTINCT FROM t.effective_tier
    ), announced AS (
        INSERT INTO outreach.outbox_events (destination, event_type, company_unique_id, outreach_id, payload,
                                            occurred_at)
        SELECT 'cl', 'TIER_CHANGED', c.company_unique_id, c.outreach_id,
               jsonb_build_object('effective_tier', c.effective_tier, 'previous_tier', c.previous_tier,
                                  'computed_tier', c.computed_tier, 'tier_reason', c.tier_reason,
                                  'cause', p_cause),
               now()
          FROM changed c
         ORDER BY c.company_unique_id
        RETURNING outreach.outbox_events.event_id, outreach.outbox_events.company_unique_id,
                  (outreach.outbox_events.payload ->> 'effective_tier')::integer AS effective_tier
    ), noted AS (
        UPDATE outreach.outbox_tier_state s
           SET effective_tier = a.effective_tier, announced_event_id = a.event_id, announced_at = now()
          FROM announced a
         WHERE s.company_unique_id = a.company_unique_id
        RETURNING 1
    )
    SELECT count(*) INTO v_count FROM noted;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION outreach._outbox_tier_changes(text[], text, boolean) IS
    'Internal, the one TIER_CHANGED detection: for the given companies, locks their outreach.outbox_tier_state rows (company order), reads their effective tier now (outreach._outbox_current_tiers) and writes a cl TIER_CHANGED event for each whose tier differs from the last one announced (p_cause: hub_status, override, cl_eligibility, reconcile; p_prefilter: lock only the ones that differ, for the reconciliation). Returns the events written.';
