-- shq.fn_check_guard_triggers: every way the guard triggers differ from the registry
-- shq.guarded_tables: missing, not ENABLE ALWAYS, redefined, or a guard the registry does not know.
CREATE OR REPLACE FUNCTION shq.fn_check_guard_triggers()
RETURNS TABLE (table_name text, trigger_name text, problem text, enabled "char", detail text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    -- problem:
    --   MISSING       a trigger the registry expects does not exist
    --   NOT_ALWAYS    it exists but is ENABLE (O), ENABLE REPLICA (R) or DISABLED (D):
    --                 session_replication_role = replica, or anyone, gets past it
    --   CHANGED       a generated trigger whose definition is not the registry's
    --   UNREGISTERED  a trigger that calls a guard trigger function (on any
    --                 table), or an ENABLE ALWAYS trigger in a project schema,
    --                 that the registry does not list: a guarded table missing
    --                 from the registry
    -- No row: every guard is in place. `pyctl verify` and the grants audit read this.
    WITH expected AS (
        SELECT e.table_name, e.trigger_name, e.definition, t.oid AS trigger_oid, t.tgenabled
          FROM shq.fn_guard_triggers() AS e
          LEFT JOIN pg_trigger t ON t.tgrelid = e.table_name AND t.tgname = e.trigger_name
    ),
    guard_functions AS (
        SELECT DISTINCT t.tgfoid FROM expected x JOIN pg_trigger t ON t.oid = x.trigger_oid
    )
    SELECT x.table_name::text, x.trigger_name::text,
           CASE WHEN x.trigger_oid IS NULL THEN 'MISSING'
                WHEN x.definition IS NOT NULL
                     AND pg_get_triggerdef(x.trigger_oid) <> format('CREATE TRIGGER %I %s', x.trigger_name, x.definition)
                    THEN 'CHANGED'
                ELSE 'NOT_ALWAYS' END,
           x.tgenabled,
           CASE WHEN x.trigger_oid IS NULL THEN 'the registry expects it; pyctl migrate creates it'
                WHEN x.definition IS NOT NULL
                     AND pg_get_triggerdef(x.trigger_oid) <> format('CREATE TRIGGER %I %s', x.trigger_name, x.definition)
                    THEN format('is %s; expected %s', pg_get_triggerdef(x.trigger_oid),
                                format('CREATE TRIGGER %I %s', x.trigger_name, x.definition))
                ELSE format('tgenabled %s, not A (ENABLE ALWAYS)', x.tgenabled) END
      FROM expected x
     WHERE x.trigger_oid IS NULL
        OR x.tgenabled <> 'A'
        OR (x.definition IS NOT NULL
            AND pg_get_triggerdef(x.trigger_oid) <> format('CREATE TRIGGER %I %s', x.trigger_name, x.definition))
    UNION ALL
    SELECT t.tgrelid::regclass::text, t.tgname::text, 'UNREGISTERED', t.tgenabled,
           format('%s calls %s: register the table in shq.guarded_tables (a migration)',
                  CASE WHEN t.tgenabled = 'A' THEN 'ENABLE ALWAYS trigger' ELSE 'trigger' END, t.tgfoid::regprocedure)
      FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT t.tgisinternal
       AND (t.tgfoid IN (SELECT f.tgfoid FROM guard_functions f)
            OR (t.tgenabled = 'A' AND pg_get_userbyid(n.nspowner) = 'outreach_owner'))
       AND NOT EXISTS (SELECT 1 FROM expected x WHERE x.trigger_oid = t.oid)
     ORDER BY 1, 2;
$$;
COMMENT ON FUNCTION shq.fn_check_guard_triggers() IS
    'Drift of the guard triggers against the registry shq.guarded_tables: one row per trigger that is MISSING, NOT_ALWAYS (tgenabled not A), CHANGED (a generated one redefined) or UNREGISTERED (a trigger that calls a guard function, or an ENABLE ALWAYS one in a project schema, that is not registered); no row when every guard is in place.';
GRANT EXECUTE ON FUNCTION shq.fn_check_guard_triggers() TO outreach_governor;
