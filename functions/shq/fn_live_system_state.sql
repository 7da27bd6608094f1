-- shq.fn_live_system_state: the figures of the LIVE SYSTEM STATE report,
-- computed in the database (docs/reference/operations.md, `pyctl state`).
CREATE OR REPLACE FUNCTION shq.fn_live_system_state()
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- One jsonb document; every section is computed on its own, so a view that
-- does not exist (yet) gives that section the value null ("n/a") and an error
-- in one section ({"error": "..."}) does not hide the others. The queries are
-- fixed strings run with EXECUTE only so that a missing view is detected at
-- run time instead of making the whole function fail.
DECLARE
    v_state jsonb;
    v_counts jsonb := '[]'::jsonb;
    v_objects jsonb := '[]'::jsonb;
    v_value jsonb;
    v_n bigint;
    v_missing boolean;
    v_dep text;
    r record;
BEGIN
    v_state := jsonb_build_object(
        'generated_at', now(),
        'database', current_database(),
        'server_version', current_setting('server_version'));

    -- exact row counts of the tables the report names
    FOR r IN
        SELECT t.name
          FROM unnest(ARRAY[
                'cl.company_identity', 'outreach.outreach', 'outreach.company_target',
                'outreach.company_hub_status', 'outreach.hub_registry', 'outreach.people', 'people.company_slot',
                'people.people_master', 'outreach.dol', 'outreach.dol_filings', 'outreach.blog',
                'outreach.blog_signals', 'outreach.talent_flow', 'outreach.bit_signals', 'outreach.bit_scores',
                'outreach.manual_overrides', 'outreach.override_audit_log', 'outreach.campaigns',
                'outreach.sequences', 'outreach.send_attempt_audit', 'outreach.send_log',
                'outreach.engagement_events', 'outreach.outreach_archive', 'outreach.outreach_orphan_archive',
                'outreach.dol_errors', 'outreach.company_target_errors', 'people.people_errors',
                'company.url_discovery_failures', 'public.shq_error_log', 'shq.audit_log',
                'shq.tool_registry', 'shq.tool_violations']) WITH ORDINALITY AS t(name, n)
         ORDER BY t.n
    LOOP
        IF to_regclass(r.name) IS NULL THEN
            v_counts := v_counts || jsonb_build_array(jsonb_build_object('table', r.name, 'rows', NULL));
        ELSE
            EXECUTE format('SELECT count(*) FROM %s', to_regclass(r.name)) INTO v_n;
            v_counts := v_counts || jsonb_build_array(jsonb_build_object('table', r.name, 'rows', v_n));
        END IF;
    END LOOP;
    v_state := v_state || jsonb_build_object('row_counts', v_counts);

    -- which of the seed-000 objects exist
    FOR r IN
        SELECT o.name
          FROM unnest(ARRAY[
                'outreach.hub_registry', 'outreach.company_hub_status', 'outreach.manual_overrides',
                'outreach.vw_sovereign_completion', 'outreach.vw_marketing_eligibility',
                'outreach.vw_marketing_eligibility_with_overrides', 'outreach.vw_tier_distribution',
                'outreach.bit_scores', 'shq.vw_promotion_readiness_summary', 'shq.vw_error_governance_summary',
                'shq.vw_governance_job_health', 'shq.audit_log',
                'outreach.fn_safety_gate_check(text,text,text,text,boolean)',
                'outreach.set_marketing_override(text,text,text,text,integer,timestamp with time zone)',
                'outreach.remove_marketing_override(text,text,text,text)',
                'outreach.fn_set_hub_status(text,text,text,text)',
                'outreach.fn_evaluate_hub_statuses(uuid)',
                'outreach.fn_refresh_bit_scores(uuid[],timestamp with time zone)',
                'shq.fn_run_error_governance_jobs()', 'shq.fn_run_smoke_test(integer)']) WITH ORDINALITY AS o(name, n)
         ORDER BY o.n
    LOOP
        v_objects := v_objects || jsonb_build_array(jsonb_build_object('object', r.name,
            'live', CASE WHEN strpos(r.name, '(') > 0 THEN to_regprocedure(r.name) IS NOT NULL
                         ELSE to_regclass(r.name) IS NOT NULL END));
    END LOOP;
    v_state := v_state || jsonb_build_object('objects', v_objects);

    -- the sections; deps: what must exist for the query to make sense
    FOR r IN
        SELECT s.key, s.deps, s.q
          FROM (VALUES
            ('hubs', ARRAY['outreach.hub_registry', 'outreach.company_hub_status'], $q$
                SELECT coalesce(jsonb_agg(jsonb_build_object(
                           'hub_id', h.hub_id, 'hub_name', h.hub_name, 'is_required', h.is_required,
                           'PASS', coalesce(c.pass, 0), 'IN_PROGRESS', coalesce(c.in_progress, 0),
                           'FAIL', coalesce(c.fail, 0), 'BLOCKED', coalesce(c.blocked, 0),
                           'rows', coalesce(c.total, 0)) ORDER BY h.display_order), '[]'::jsonb)
                  FROM outreach.hub_registry h
                  LEFT JOIN (SELECT s.hub_id,
                                    count(*) FILTER (WHERE s.status = 'PASS') AS pass,
                                    count(*) FILTER (WHERE s.status = 'IN_PROGRESS') AS in_progress,
                                    count(*) FILTER (WHERE s.status = 'FAIL') AS fail,
                                    count(*) FILTER (WHERE s.status = 'BLOCKED') AS blocked,
                                    count(*) AS total
                               FROM outreach.company_hub_status s GROUP BY s.hub_id) c ON c.hub_id = h.hub_id $q$),
            ('hub_status_companies', ARRAY['outreach.company_hub_status'], $q$
                SELECT to_jsonb(count(*)) FROM (SELECT DISTINCT s.company_unique_id FROM outreach.company_hub_status s) x $q$),
            ('companies', ARRAY['cl.company_identity'], $q$
                SELECT jsonb_build_object(
                           'total', count(*),
                           'eligible', count(*) FILTER (WHERE ci.eligibility_status = 'ELIGIBLE'),
                           'ineligible', count(*) FILTER (WHERE ci.eligibility_status = 'INELIGIBLE'),
                           'unverified', count(*) FILTER (WHERE ci.identity_status = 'UNVERIFIED'),
                           'bound', count(*) FILTER (WHERE ci.outreach_id IS NOT NULL))
                  FROM cl.company_identity ci $q$),
            ('completion', ARRAY['outreach.vw_sovereign_completion'], $q$
                SELECT coalesce(jsonb_object_agg(x.completion_status, x.n), '{}'::jsonb)
                  FROM (SELECT c.completion_status, count(*) AS n
                          FROM outreach.vw_sovereign_completion c GROUP BY c.completion_status) x $q$),
            ('tier_distribution', ARRAY['outreach.vw_tier_distribution'], $q$
                SELECT coalesce(jsonb_agg(jsonb_build_object('effective_tier', t.effective_tier,
                           'companies', t.companies, 'pct', t.pct) ORDER BY t.effective_tier), '[]'::jsonb)
                  FROM outreach.vw_tier_distribution t $q$),
            ('overrides', ARRAY['outreach.manual_overrides'], $q$
                SELECT jsonb_build_object(
                    'active', count(*) FILTER (WHERE m.removed_at IS NULL AND (m.expires_at IS NULL OR m.expires_at > now())),
                    'active_companies', count(DISTINCT m.company_unique_id)
                        FILTER (WHERE m.removed_at IS NULL AND (m.expires_at IS NULL OR m.expires_at > now())),
                    'expired', count(*) FILTER (WHERE m.removed_at IS NULL AND m.expires_at <= now()),
                    'removed', count(*) FILTER (WHERE m.removed_at IS NOT NULL),
                    'by_type', (SELECT coalesce(jsonb_object_agg(x.override_type, x.n), '{}'::jsonb)
                                  FROM (SELECT a.override_type, count(*) AS n
                                          FROM outreach.manual_overrides a
                                         WHERE a.removed_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > now())
                                         GROUP BY a.override_type) x))
                  FROM outreach.manual_overrides m $q$),
            ('bit', ARRAY['outreach.bit_scores', 'outreach.bit_signals'], $q$
                SELECT jsonb_build_object(
                    'scored_companies', count(*),
                    'avg_score', round(avg(b.score), 2),
                    'max_score', max(b.score),
                    'last_computed_at', max(b.computed_at),
                    'signals', (SELECT count(*) FROM outreach.bit_signals),
                    'signals_last_180_days', (SELECT count(*) FROM outreach.bit_signals s
                                               WHERE s.occurred_at > now() - interval '180 days'),
                    'by_score_tier', jsonb_build_object(
                        'COLD', count(*) FILTER (WHERE b.score_tier = 'COLD'),
                        'WARM', count(*) FILTER (WHERE b.score_tier = 'WARM'),
                        'HOT', count(*) FILTER (WHERE b.score_tier = 'HOT'),
                        'BURNING', count(*) FILTER (WHERE b.score_tier = 'BURNING')))
                  FROM outreach.bit_scores b $q$),
            ('campaigns', ARRAY['outreach.campaigns', 'outreach.sequences', 'outreach.send_log'], $q$
                SELECT jsonb_build_object(
                    'by_status', (SELECT coalesce(jsonb_object_agg(x.status, x.n), '{}'::jsonb)
                                    FROM (SELECT c.status, count(*) AS n FROM outreach.campaigns c GROUP BY c.status) x),
                    'sequences', (SELECT count(*) FROM outreach.sequences),
                    'sends_last_24h', (SELECT count(*) FROM outreach.send_log s WHERE s.sent_at > now() - interval '24 hours')) $q$),
            ('send_attempts_24h', ARRAY['outreach.send_attempt_audit'], $q$
                SELECT jsonb_build_object(
                    'attempts', count(*),
                    'dry_runs', count(*) FILTER (WHERE a.is_dry_run),
                    'cleared', count(*) FILTER (WHERE NOT a.was_blocked),
                    'blocked', count(*) FILTER (WHERE a.was_blocked),
                    'blocked_by_reason', (SELECT coalesce(jsonb_object_agg(x.block_reason, x.n), '{}'::jsonb)
                                            FROM (SELECT b.block_reason, count(*) AS n
                                                    FROM outreach.send_attempt_audit b
                                                   WHERE b.was_blocked AND b.attempt_timestamp > now() - interval '24 hours'
                                                   GROUP BY b.block_reason) x))
                  FROM outreach.send_attempt_audit a
                 WHERE a.attempt_timestamp > now() - interval '24 hours' $q$),
            ('error_governance', ARRAY['shq.vw_error_governance_summary'], $q$
                SELECT jsonb_build_object(
                    'columns', (SELECT jsonb_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
                                 WHERE a.attrelid = 'shq.vw_error_governance_summary'::regclass
                                   AND a.attnum > 0 AND NOT a.attisdropped),
                    'rows', (SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.table_name, e.disposition::text), '[]'::jsonb)
                               FROM shq.vw_error_governance_summary e)) $q$),
            ('job_health', ARRAY['shq.vw_governance_job_health'], $q$
                SELECT jsonb_build_object(
                    'columns', (SELECT jsonb_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
                                 WHERE a.attrelid = 'shq.vw_governance_job_health'::regclass
                                   AND a.attnum > 0 AND NOT a.attisdropped),
                    'rows', (SELECT coalesce(jsonb_agg(to_jsonb(j)), '[]'::jsonb) FROM shq.vw_governance_job_health j)) $q$),
            ('smoke_test', ARRAY['shq.audit_log'], $q$
                SELECT (SELECT jsonb_build_object('occurred_at', a.occurred_at, 'actor', a.actor,
                                                  'checked', a.details -> 'checked', 'eligible', a.details -> 'eligible')
                          FROM shq.audit_log a WHERE a.event_type = 'SMOKE_TEST'
                         ORDER BY a.occurred_at DESC, a.audit_id DESC LIMIT 1) $q$),
            ('spine_alignment', ARRAY['shq.fn_check_spine_alignment()'], $q$
                SELECT to_jsonb(a) FROM shq.fn_check_spine_alignment() a $q$)
          ) AS s(key, deps, q)
    LOOP
        v_missing := false;
        FOREACH v_dep IN ARRAY r.deps LOOP
            IF (strpos(v_dep, '(') > 0 AND to_regprocedure(v_dep) IS NULL)
               OR (strpos(v_dep, '(') = 0 AND to_regclass(v_dep) IS NULL) THEN
                v_missing := true;
            END IF;
        END LOOP;
        IF v_missing THEN
            v_value := NULL;
        ELSE
            BEGIN
                EXECUTE r.q INTO v_value;
            EXCEPTION WHEN OTHERS THEN
                v_value := jsonb_build_object('error', SQLSTATE || ': ' || SQLERRM);
            END;
        END IF;
        v_state := v_state || jsonb_build_object(r.key, v_value);
    END LOOP;

    RETURN v_state;
END
$$;
COMMENT ON FUNCTION shq.fn_live_system_state() IS
    'The LIVE SYSTEM STATE figures as one jsonb document: row counts, which objects are live, hubs by status, companies, completion, tier distribution, overrides, BIT, campaigns, blocked send attempts of the last 24 h by reason, error governance, job health, last smoke test, spine alignment; a section whose view is missing is null (docs/reference/operations.md).';
GRANT EXECUTE ON FUNCTION shq.fn_live_system_state() TO outreach_governor;
