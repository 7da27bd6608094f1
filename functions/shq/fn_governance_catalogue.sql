-- shq.fn_governance_catalogue: what the database itself says about its guards, writers, readers
-- and audit trail: the FORBIDDEN / TRUTH / WRITERS / AUDIT parts of the LIVE SYSTEM STATE (docs/operator-guide.md).
CREATE OR REPLACE FUNCTION shq.fn_governance_catalogue()
RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    -- Guarded tables are found by their guard triggers (shq.tg_sovereign_guard,
    -- shq.tg_append_only); a sanctioned writer is a public SECURITY DEFINER
    -- function of outreach_owner whose body names tables in shq.fn_sanction(...)
    -- or shq.fn_sanction_add(...),
    -- or calls a private helper that does; the
    -- authoritative views are the ones outreach_reader may read. SECURITY
    -- DEFINER only for shq.audit_log and the seal lag.
    WITH guarded AS (
        SELECT c.oid, n.nspname || '.' || c.relname AS table_name,
               obj_description(c.oid, 'pg_class') AS comment,
               bool_or(p.proname = 'tg_sovereign_guard') AS sovereign,
               bool_or(p.proname = 'tg_append_only') AS append_only,
               count(*) AS guard_triggers,
               count(*) FILTER (WHERE t.tgenabled = 'A') AS always_enabled
          FROM pg_trigger t
          JOIN pg_class c ON c.oid = t.tgrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_proc p ON p.oid = t.tgfoid
         WHERE p.pronamespace = 'shq'::regnamespace AND p.proname IN ('tg_sovereign_guard', 'tg_append_only')
         GROUP BY c.oid, n.nspname, c.relname),
    -- functions that name tables in shq.fn_sanction(...) or shq.fn_sanction_add(...) (private helpers included) ...
    direct AS (
        SELECT n.nspname || '.' || p.proname AS function_name,
               array_agg(DISTINCT m[1] ORDER BY m[1]) AS sanctioned
          FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace
         CROSS JOIN LATERAL regexp_matches(p.prosrc, 'fn_sanction(?:_add)?\(([^;]*)\)', 'g') AS s(call)
         CROSS JOIN LATERAL regexp_matches(s.call[1], '''([a-z_]+\.[a-z_]+)''', 'g') AS m
         WHERE p.proowner = 'outreach_owner'::regrole
           AND n.nspname IN ('cl', 'outreach', 'people', 'company', 'shq')
         GROUP BY 1),
    -- ... and the SECURITY DEFINER functions that write through them: those
    -- functions themselves, or the ones that call a private (_) helper of them
    sanctions AS (
        SELECT n.nspname || '.' || p.proname AS function_name,
               array_agg(DISTINCT t ORDER BY t) AS sanctioned
          FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace
          JOIN direct d ON d.function_name = n.nspname || '.' || p.proname
                        OR (split_part(d.function_name, '.', 2) LIKE '\_%'
                            AND strpos(p.prosrc, d.function_name || '(') > 0)
         CROSS JOIN LATERAL unnest(d.sanctioned) AS t
         WHERE p.prosecdef AND p.proowner = 'outreach_owner'::regrole AND p.proname NOT LIKE '\_%'
           AND n.nspname IN ('cl', 'outreach', 'people', 'company', 'shq')
         GROUP BY 1),
    callers AS (
        SELECT s.function_name,
               coalesce((SELECT array_agg(DISTINCT r.rolname::text ORDER BY r.rolname::text)
                           FROM pg_proc p
                           JOIN pg_namespace n ON n.oid = p.pronamespace
                          CROSS JOIN LATERAL aclexplode(p.proacl) AS a
                           JOIN pg_roles r ON r.oid = a.grantee
                          WHERE n.nspname || '.' || p.proname = s.function_name
                            AND a.privilege_type = 'EXECUTE' AND r.rolname <> 'outreach_owner'), '{}') AS roles
          FROM sanctions s)
    SELECT jsonb_build_object(
        'guarded_tables', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                   'table', g.table_name, 'comment', g.comment,
                                   'kind', CASE WHEN g.sovereign THEN 'sovereign' ELSE 'append-only' END,
                                   'guard_triggers', g.guard_triggers, 'always_enabled', g.always_enabled)
                                   ORDER BY g.sovereign DESC, g.table_name), '[]')
                             FROM guarded g),
        'sanctioned_writers', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                       'function', s.function_name, 'sanctions', to_jsonb(s.sanctioned),
                                       'callers', to_jsonb(c.roles)) ORDER BY s.function_name), '[]')
                                 FROM sanctions s JOIN callers c USING (function_name)),
        'reader_views', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                 'view', n.nspname || '.' || c.relname,
                                 'comment', obj_description(c.oid, 'pg_class')) ORDER BY n.nspname, c.relname), '[]')
                           FROM pg_class c
                           JOIN pg_namespace n ON n.oid = c.relnamespace
                          WHERE c.relkind IN ('v', 'm') AND n.nspname IN ('cl', 'outreach', 'people', 'company', 'shq')
                            AND has_table_privilege('outreach_reader', c.oid, 'SELECT')),
        'audit_events', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                 'event_type', x.event_type, 'events', x.events, 'last_at', x.last_at)
                                 ORDER BY x.event_type), '[]')
                           FROM (SELECT a.event_type, count(*) AS events, max(a.occurred_at) AS last_at
                                   FROM shq.audit_log a GROUP BY a.event_type) x),
        'seals', (SELECT coalesce(jsonb_agg(to_jsonb(l) ORDER BY l.table_name), '[]')
                    FROM shq._metrics_seal_lag() l));
$$;
COMMENT ON FUNCTION shq.fn_governance_catalogue() IS
    'The database''s own account of its guards: guarded tables (sovereign / append-only, by their guard triggers, with how many are ENABLE ALWAYS), sanctioned writers (SECURITY DEFINER functions that sanction a table) and the roles that may call them, the views outreach_reader may read, audit_log events by type, and the seal lag per audited table (the LIVE SYSTEM STATE report).';
GRANT EXECUTE ON FUNCTION shq.fn_governance_catalogue() TO outreach_governor;
