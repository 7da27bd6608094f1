-- shq.fn_install_ddl_guard: create (or repair) the DDL guard's event triggers
-- when the caller is a superuser; otherwise say why it cannot (tamper evidence).
CREATE OR REPLACE FUNCTION shq.fn_install_ddl_guard()
RETURNS text
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- Event triggers can only be created by a superuser, so this is an ordinary
-- (invoker) function: `pyctl migrate` runs it as the migrating role on every
-- run (triggers/shq/ddl_guard__event_trigger.sql), and a DBA can run it later
-- when the migrator is not a superuser. Idempotent: it creates what is
-- missing, re-creates an event trigger that points elsewhere, and sets each
-- to ENABLE ALWAYS (so session_replication_role = replica does not skip it).
-- Returns 'installed', 'already installed' or 'not installed: <why>'.
DECLARE
    v_tags constant text := '''ALTER TABLE'', ''CREATE TRIGGER'', ''CREATE FUNCTION'', ''ALTER FUNCTION'','
                            ' ''CREATE PROCEDURE'', ''ALTER PROCEDURE'', ''ALTER ROUTINE''';
    v_fn constant oid := 'shq.tg_ddl_guard()'::regprocedure;
    v_changed integer := 0;
    v_super boolean;
    r record;
BEGIN
    SELECT rolsuper INTO v_super FROM pg_roles WHERE rolname = current_user;
    IF NOT coalesce(v_super, false) THEN
        IF (SELECT count(*) FROM pg_event_trigger e
             WHERE e.evtname IN ('shq_ddl_guard_start', 'shq_ddl_guard_end', 'shq_ddl_guard_drop')
               AND e.evtfoid = v_fn AND e.evtenabled = 'A') = 3 THEN
            RETURN 'already installed';
        END IF;
        RAISE WARNING 'DDL guard not installed: event triggers need a superuser and % is not one', current_user
            USING DETAIL = 'Without it, DDL that disables, drops or alters the append-only and sovereign tables is not refused; the seals still detect any row it lets change.',
                  HINT = 'Run SELECT shq.fn_install_ddl_guard(); as a superuser (or `pyctl migrate` as a superuser).';
        RETURN format('not installed: event triggers need a superuser and %s is not one', current_user);
    END IF;

    FOR r IN SELECT v.name, v.event, v.tags, e.oid AS evtoid, e.evtevent, e.evtfoid, e.evtenabled, e.evttags
               FROM (VALUES ('shq_ddl_guard_start', 'ddl_command_start',
                             v_tags || ', ''DROP FUNCTION'', ''DROP ROUTINE'', ''DROP SCHEMA'', ''DROP OWNED'','
                                    || ' ''DROP EXTENSION'', ''DROP LANGUAGE'''),
                            ('shq_ddl_guard_end', 'ddl_command_end', v_tags || ', ''CREATE RULE'', ''ALTER TRIGGER'''),
                            ('shq_ddl_guard_drop', 'sql_drop', NULL)) AS v(name, event, tags)
               LEFT JOIN pg_event_trigger e ON e.evtname = v.name
    LOOP
        IF r.evtoid IS NOT NULL AND (r.evtevent <> r.event OR r.evtfoid <> v_fn
                                     OR coalesce(array_length(r.evttags, 1), 0)
                                        <> coalesce(array_length(string_to_array(r.tags, ','), 1), 0)) THEN
            EXECUTE format('DROP EVENT TRIGGER %I', r.name);
            r.evtoid := NULL;
        END IF;
        IF r.evtoid IS NULL THEN
            EXECUTE format('CREATE EVENT TRIGGER %I ON %s%s EXECUTE FUNCTION shq.tg_ddl_guard()', r.name, r.event,
                           CASE WHEN r.tags IS NULL THEN '' ELSE ' WHEN TAG IN (' || r.tags || ')' END);
            EXECUTE format('ALTER EVENT TRIGGER %I ENABLE ALWAYS', r.name);
            v_changed := v_changed + 1;
        ELSIF r.evtenabled <> 'A' THEN
            EXECUTE format('ALTER EVENT TRIGGER %I ENABLE ALWAYS', r.name);
            v_changed := v_changed + 1;
        END IF;
    END LOOP;
    RETURN CASE WHEN v_changed > 0 THEN 'installed' ELSE 'already installed' END;
END
$$;
COMMENT ON FUNCTION shq.fn_install_ddl_guard() IS
    'Creates or repairs the DDL guard event triggers (shq_ddl_guard_start/_end/_drop, ENABLE ALWAYS, on shq.tg_ddl_guard) when run by a superuser; otherwise warns and returns why not (tamper evidence).';
