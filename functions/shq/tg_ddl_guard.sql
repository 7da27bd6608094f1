-- shq.tg_ddl_guard(): event trigger function of the DDL guard: refuses DDL that would weaken
-- the tables of the registry shq.guarded_tables outside `pyctl migrate` (tamper evidence).
CREATE OR REPLACE FUNCTION shq.tg_ddl_guard()
RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- Installed by shq.fn_install_ddl_guard() on three events:
--   ddl_command_start (ALTER TABLE, CREATE TRIGGER, CREATE/ALTER FUNCTION ...):
--       remember the protected (registered) tables' shape (name, persistence, owner, column
--       types, triggers and their state) and the guard functions' definitions
--       in the transaction-local setting shq.ddl_guard_state; refuse at once
--       a command that could take this function away (see below);
--   ddl_command_end: compare with that, and refuse (OG010) a rename or move,
--       SET UNLOGGED, an owner other than outreach_owner, ALTER COLUMN TYPE,
--       DROP COLUMN, a dropped, renamed, redefined or less-enabled trigger
--       (DISABLE TRIGGER, ENABLE [REPLICA] of an ALWAYS trigger), a changed
--       guard function; and CREATE RULE or ALTER TRIGGER on a protected table;
--   sql_drop: refuse dropping a protected table, one of its triggers or a
--       guard function.
-- `pyctl migrate` sets shq.migrating = 'on' in its own sessions: migrations
-- may change all of this on purpose. Re-applying identical definitions (the
-- repeatable pass) changes nothing and passes even without it.
-- SECURITY DEFINER: it fires for every role's DDL, and reads the registry,
-- which such a role may not be allowed to read; besides the registry it uses
-- only pg_catalog and changes nothing but its own transaction-local setting.
-- The protected tables are the registry's (by oid: a regclass follows a
-- rename, and still names a table in sql_drop, after the table is gone).
DECLARE
    v_guard_fns constant text[] := ARRAY[
        'shq.tg_append_only', 'shq.tg_sovereign_guard', 'shq.tg_audit_tombstone', 'shq.tg_ddl_guard',
        'shq.fn_install_ddl_guard', 'shq.fn_seal_audit_tables', 'shq.fn_verify_audit_seals',
        'shq.fn_audit_sealed_tables', 'shq._audit_row_text_sql', 'shq._audit_seal_digest',
        'shq._audit_digest_settings', 'shq.fn_guard_triggers', 'shq.fn_install_guard_triggers',
        'shq.fn_check_guard_triggers', 'shq._deletion_sanctioned'];
    v_registry constant text := 'shq.guarded_tables';
    v_protected oid[] := '{}';
    v_state jsonb;
    v_before jsonb;
    v_problems text[] := '{}';
    v_key text;
    v_b jsonb;
    v_a jsonb;
    v_k2 text;
    v_b2 jsonb;
    v_a2 jsonb;
    v_name text;
    v_known text[] := '{}';
    v_oids oid[];
    v_schema text;
    v_owner text;
    v_query text;
    v_src text;
BEGIN
    IF coalesce(current_setting('shq.migrating', true), '') = 'on' THEN
        RETURN;
    END IF;

    IF to_regclass(v_registry) IS NOT NULL THEN
        SELECT coalesce(array_agg(DISTINCT g.table_name::oid), '{}') INTO v_protected FROM shq.guarded_tables g;
    END IF;

    IF TG_EVENT = 'sql_drop' THEN
        SELECT coalesce(array_agg(format('%s %s', d.object_type, d.object_identity) ORDER BY d.object_identity), '{}')
          INTO v_problems
          FROM pg_event_trigger_dropped_objects() AS d
         WHERE (d.object_type = 'table'
                AND (d.objid = ANY (v_protected) OR d.object_identity = v_registry))
            OR (d.object_type = 'trigger'
                AND to_regclass(format('%I.%I', d.address_names[1], d.address_names[2])) = ANY (v_protected)
                AND d.address_names[3] NOT LIKE 'RI\_ConstraintTrigger%')
            OR (d.object_type IN ('function', 'procedure')
                AND d.address_names[1] || '.' || d.address_names[2] = ANY (v_guard_fns));
        IF cardinality(v_problems) > 0 THEN
            RAISE EXCEPTION 'refused by the DDL guard: % would drop %', TG_TAG, array_to_string(v_problems, ', ')
                USING ERRCODE = 'OG010',
                      DETAIL = 'The tables of shq.guarded_tables, their triggers and the guard functions are protected outside pyctl migrate.',
                      HINT = 'Such a change goes through a migration applied by `pyctl migrate`.';
        END IF;
        RETURN;
    END IF;

    IF TG_EVENT = 'ddl_command_end' AND TG_TAG IN ('CREATE RULE', 'ALTER TRIGGER') THEN
        SELECT coalesce(array_agg(format('%s on %s', c.object_identity, n.nspname || '.' || cl.relname)), '{}')
          INTO v_problems
          FROM pg_event_trigger_ddl_commands() AS c
          LEFT JOIN pg_rewrite rw ON c.classid = 'pg_rewrite'::regclass AND rw.oid = c.objid
          LEFT JOIN pg_trigger tg ON c.classid = 'pg_trigger'::regclass AND tg.oid = c.objid
          JOIN pg_class cl ON cl.oid = coalesce(rw.ev_class, tg.tgrelid)
          JOIN pg_namespace n ON n.oid = cl.relnamespace
         WHERE cl.oid = ANY (v_protected);
        IF cardinality(v_problems) > 0 THEN
            RAISE EXCEPTION 'refused by the DDL guard: % of %', TG_TAG, array_to_string(v_problems, ', ')
                USING ERRCODE = 'OG010',
                      DETAIL = 'Rules and trigger renames on the tables of shq.guarded_tables are refused outside pyctl migrate.',
                      HINT = 'Such a change goes through a migration applied by `pyctl migrate`.';
        END IF;
        RETURN;
    END IF;

    -- A command that drops or replaces this very function would disarm the
    -- guard before ddl_command_end or sql_drop could look at it (the event
    -- triggers go with their function, and a replaced body is what runs at
    -- the end). Only the statement text is known before such a command runs,
    -- so refuse the ones whose text names the guard (unless it re-creates the
    -- very same body, as `pyctl migrate` does), its schema, its owner or its
    -- language.
    IF TG_EVENT = 'ddl_command_start'
       AND TG_TAG IN ('CREATE FUNCTION', 'DROP FUNCTION', 'DROP ROUTINE', 'DROP SCHEMA', 'DROP OWNED',
                      'DROP EXTENSION', 'DROP LANGUAGE') THEN
        SELECT n.nspname, pg_get_userbyid(p.proowner), p.prosrc INTO v_schema, v_owner, v_src
          FROM pg_event_trigger e
          JOIN pg_proc p ON p.oid = e.evtfoid
          JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE e.evtname = 'shq_ddl_guard_start';
        v_query := coalesce(current_query(), '');
        IF (TG_TAG = 'CREATE FUNCTION'
                AND v_query ~* 'create\s+(or\s+replace\s+)?function\s+("?[a-z_0-9]+"?\s*\.\s*)?"?tg_ddl_guard"?\s*\('
                AND strpos(v_query, coalesce(v_src, '')) = 0)
           OR (TG_TAG IN ('DROP FUNCTION', 'DROP ROUTINE')
                AND v_query ~* 'drop\s+(function|routine)\s[^;]*\mtg_ddl_guard\M')
           OR (TG_TAG = 'DROP SCHEMA' AND v_query ~* ('\m' || v_schema || '\M'))
           OR (TG_TAG = 'DROP OWNED' AND v_query ~* ('\m' || v_owner || '\M'))
           OR (TG_TAG IN ('DROP EXTENSION', 'DROP LANGUAGE') AND v_query ~* '\mplpgsql\M') THEN
            RAISE EXCEPTION 'refused by the DDL guard: % naming %', TG_TAG,
                    CASE WHEN TG_TAG = 'DROP SCHEMA' THEN 'schema ' || v_schema
                         WHEN TG_TAG = 'DROP OWNED' THEN 'role ' || v_owner
                         WHEN TG_TAG IN ('DROP EXTENSION', 'DROP LANGUAGE') THEN 'plpgsql'
                         ELSE 'the DDL guard function shq.tg_ddl_guard()' END
                USING ERRCODE = 'OG010',
                      DETAIL = 'This command could drop or replace the DDL guard itself, and the protected tables with it.',
                      HINT = 'Such a change goes through a migration applied by `pyctl migrate` (it sets shq.migrating = on in its own session).';
        END IF;
    END IF;

    IF TG_TAG NOT IN ('ALTER TABLE', 'CREATE TRIGGER', 'CREATE FUNCTION', 'ALTER FUNCTION',
                      'CREATE PROCEDURE', 'ALTER PROCEDURE', 'ALTER ROUTINE') THEN
        RETURN;
    END IF;

    IF TG_EVENT = 'ddl_command_end' THEN
        v_before := nullif(coalesce(current_setting('shq.ddl_guard_state', true), ''), '')::jsonb;
        PERFORM set_config('shq.ddl_guard_state', '', true);
        IF v_before IS NULL THEN
            RETURN;
        END IF;
        -- follow the protected tables by oid too, to see them renamed
        SELECT coalesce(array_agg(k), '{}') INTO v_known FROM jsonb_object_keys(v_before -> 'rel') AS k;
    END IF;

    -- the protected shape, keyed by oid: the registered tables that exist (and
    -- those seen at the start, to see them dropped) for ALTER TABLE and CREATE
    -- TRIGGER; the guard functions for the rest
    SELECT coalesce(array_agg(c.oid), '{}') INTO v_oids FROM pg_class c WHERE c.oid = ANY (v_protected);
    v_oids := v_oids || ARRAY(SELECT k::oid FROM unnest(v_known) AS k);

    IF TG_TAG IN ('ALTER TABLE', 'CREATE TRIGGER') THEN
        SELECT jsonb_build_object('rel', coalesce(jsonb_object_agg(c.oid::text, jsonb_build_object(
                   'name', n.nspname || '.' || c.relname,
                   'persistence', c.relpersistence,
                   'owner', pg_get_userbyid(c.relowner),
                   'cols', coalesce((SELECT jsonb_object_agg(a.attnum::text, jsonb_build_object(
                                                'name', a.attname, 'dropped', a.attisdropped,
                                                'type', format_type(a.atttypid, a.atttypmod) || ' collate '
                                                        || a.attcollation::text))
                                       FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0), '{}'),
                   'trg', coalesce((SELECT jsonb_object_agg(t.oid::text, jsonb_build_object(
                                               'name', t.tgname, 'enabled', t.tgenabled,
                                               'internal', t.tgisinternal,
                                               'def', md5(concat_ws(' | ', t.tgfoid::regprocedure::text,
                                                                    t.tgtype::text, encode(t.tgargs, 'hex'),
                                                                    t.tgattr::text, pg_get_expr(t.tgqual, t.tgrelid),
                                                                    t.tgoldtable, t.tgnewtable))))
                                      FROM pg_trigger t WHERE t.tgrelid = c.oid), '{}'))), '{}'),
                   'fn', '{}'::jsonb)
          INTO v_state
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = ANY (v_oids);
    ELSE
        SELECT jsonb_build_object('rel', '{}'::jsonb, 'fn', coalesce(jsonb_object_agg(p.oid::text, jsonb_build_object(
                   'name', n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
                   'owner', pg_get_userbyid(p.proowner),
                   'def', md5(concat_ws(' | ', p.prosrc, p.probin, p.proconfig::text, p.prosecdef::text,
                                        p.provolatile::text, p.proisstrict::text, p.prolang::text,
                                        pg_get_function_result(p.oid))))), '{}'))
          INTO v_state
          FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.oid IN (SELECT p2.oid
                           FROM unnest(v_guard_fns) AS x(name)
                           JOIN pg_namespace n2 ON n2.nspname = split_part(x.name, '.', 1)
                           JOIN pg_proc p2 ON p2.pronamespace = n2.oid AND p2.proname = split_part(x.name, '.', 2)
                         UNION
                         SELECT t.tgfoid FROM pg_trigger t WHERE t.tgrelid = ANY (v_oids));
    END IF;

    IF TG_EVENT = 'ddl_command_start' THEN
        PERFORM set_config('shq.ddl_guard_state', v_state::text, true);
        RETURN;
    END IF;

    -- ddl_command_end: what did this command change?

    FOR v_key, v_b IN SELECT e.key, e.value FROM jsonb_each(v_before -> 'rel') AS e LOOP
        v_name := v_b ->> 'name';
        v_a := v_state -> 'rel' -> v_key;
        IF v_a IS NULL THEN
            v_problems := v_problems || format('table %s dropped', v_name);
            CONTINUE;
        END IF;
        IF v_a ->> 'name' <> v_name THEN
            v_problems := v_problems || format('table %s renamed or moved to %s', v_name, v_a ->> 'name');
        END IF;
        IF v_b ->> 'persistence' = 'p' AND v_a ->> 'persistence' <> 'p' THEN
            v_problems := v_problems || format('table %s set UNLOGGED', v_name);
        END IF;
        IF v_a ->> 'owner' <> v_b ->> 'owner' AND v_a ->> 'owner' <> 'outreach_owner' THEN
            v_problems := v_problems || format('table %s given to %s', v_name, v_a ->> 'owner');
        END IF;
        FOR v_k2, v_b2 IN SELECT e.key, e.value FROM jsonb_each(v_b -> 'cols') AS e LOOP
            v_a2 := v_a -> 'cols' -> v_k2;
            CONTINUE WHEN (v_b2 ->> 'dropped')::boolean;
            IF v_a2 IS NULL OR (v_a2 ->> 'dropped')::boolean THEN
                v_problems := v_problems || format('column %s of %s dropped', v_b2 ->> 'name', v_name);
            ELSIF v_a2 ->> 'type' <> v_b2 ->> 'type' THEN
                v_problems := v_problems || format('column %s of %s changed from %s to %s (ALTER COLUMN TYPE)',
                                                   v_b2 ->> 'name', v_name, v_b2 ->> 'type', v_a2 ->> 'type');
            END IF;
        END LOOP;
        FOR v_k2, v_b2 IN SELECT e.key, e.value FROM jsonb_each(v_b -> 'trg') AS e LOOP
            v_a2 := v_a -> 'trg' -> v_k2;
            IF v_a2 IS NULL THEN
                IF NOT (v_b2 ->> 'internal')::boolean THEN
                    v_problems := v_problems || format('trigger %s on %s dropped', v_b2 ->> 'name', v_name);
                END IF;
            ELSIF v_a2 ->> 'name' <> v_b2 ->> 'name' THEN
                v_problems := v_problems || format('trigger %s on %s renamed to %s', v_b2 ->> 'name', v_name,
                                                   v_a2 ->> 'name');
            ELSIF v_a2 ->> 'def' <> v_b2 ->> 'def' THEN
                v_problems := v_problems || format('trigger %s on %s redefined', v_b2 ->> 'name', v_name);
            ELSIF v_a2 ->> 'enabled' <> v_b2 ->> 'enabled' AND v_a2 ->> 'enabled' <> 'A'
                  -- CREATE OR REPLACE TRIGGER of an unchanged trigger resets
                  -- ENABLE ALWAYS to ENABLE; the repeatable file that runs it
                  -- restores ALWAYS right after (pyctl verify checks the state)
                  AND NOT (TG_TAG = 'CREATE TRIGGER' AND v_a2 ->> 'enabled' = 'O') THEN
                v_problems := v_problems || format('trigger %s on %s disabled (tgenabled %s -> %s)', v_b2 ->> 'name',
                                                   v_name, v_b2 ->> 'enabled', v_a2 ->> 'enabled');
            END IF;
        END LOOP;
    END LOOP;

    FOR v_key, v_b IN SELECT e.key, e.value FROM jsonb_each(v_before -> 'fn') AS e LOOP
        v_a := v_state -> 'fn' -> v_key;
        IF v_a IS NULL THEN
            v_problems := v_problems || format('guard function %s dropped', v_b ->> 'name');
        ELSIF v_a ->> 'def' <> v_b ->> 'def' THEN
            v_problems := v_problems || format('guard function %s redefined', v_b ->> 'name');
        ELSIF v_a ->> 'owner' <> v_b ->> 'owner' AND v_a ->> 'owner' <> 'outreach_owner' THEN
            v_problems := v_problems || format('guard function %s given to %s', v_b ->> 'name', v_a ->> 'owner');
        END IF;
    END LOOP;

    IF cardinality(v_problems) > 0 THEN
        RAISE EXCEPTION 'refused by the DDL guard: %', array_to_string(v_problems, '; ')
            USING ERRCODE = 'OG010',
                  DETAIL = format('%s outside pyctl migrate would weaken the guarded tables (shq.guarded_tables).', TG_TAG),
                  HINT = 'Such a change goes through a migration applied by `pyctl migrate` (it sets shq.migrating = on in its own session).';
    END IF;
END
$$;
COMMENT ON FUNCTION shq.tg_ddl_guard() IS
    'Event trigger: refuses (OG010) DDL that would weaken the tables of the registry shq.guarded_tables (disable, drop or rename their triggers, drop or rename them, ALTER COLUMN TYPE, SET UNLOGGED, CREATE RULE, redefine a guard function) unless shq.migrating = on (tamper evidence).';
