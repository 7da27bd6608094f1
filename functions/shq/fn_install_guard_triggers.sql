-- shq.fn_install_guard_triggers: create (or repair) every guard trigger the registry
-- shq.guarded_tables expects, and set each to ENABLE ALWAYS; run by `pyctl migrate` on every run.
CREATE OR REPLACE FUNCTION shq.fn_install_guard_triggers()
RETURNS integer
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- supa_audit's enable_tracking(regclass), for every registered table at once:
-- which triggers a table carries follows from its registry rows
-- (shq.fn_guard_triggers), not from a file per table. A generated trigger is
-- created or replaced (CREATE OR REPLACE TRIGGER of an unchanged trigger
-- resets ENABLE ALWAYS to ENABLE, restored right after, as the DDL guard
-- expects); a hand-written one must already exist (its file under triggers/
-- runs before this): a registry row that names a trigger nobody defined fails
-- the migration instead of leaving a table unguarded. ENABLE ALWAYS also
-- repairs a trigger that a data-only restore (pg_restore --disable-triggers,
-- which ends with ENABLE TRIGGER ALL) left at ENABLE.
-- Returns how many guard triggers the registry expects.
DECLARE
    r record;
    v_count integer := 0;
BEGIN
    FOR r IN SELECT g.table_name, g.trigger_name, g.definition FROM shq.fn_guard_triggers() AS g LOOP
        IF r.definition IS NOT NULL THEN
            EXECUTE format('CREATE OR REPLACE TRIGGER %I %s', r.trigger_name, r.definition);
        ELSIF NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = r.table_name AND t.tgname = r.trigger_name) THEN
            RAISE EXCEPTION 'guard trigger % of % is registered but does not exist', r.trigger_name, r.table_name
                USING ERRCODE = '42704',
                      HINT = 'Define it in its file under triggers/ (listed in db/manifest.txt before triggers/shq/guard_triggers.sql), or correct shq.guarded_tables.triggers.';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_trigger t
                        WHERE t.tgrelid = r.table_name AND t.tgname = r.trigger_name AND t.tgenabled = 'A') THEN
            EXECUTE format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', r.table_name, r.trigger_name);
        END IF;
        v_count := v_count + 1;
    END LOOP;
    RETURN v_count;
END
$$;
COMMENT ON FUNCTION shq.fn_install_guard_triggers() IS
    'Creates or repairs every guard trigger of shq.fn_guard_triggers() (generated ones created or replaced; hand-written ones must exist, else 42704) and sets each to ENABLE ALWAYS; returns how many there are. Run by the repeatable file triggers/shq/guard_triggers.sql.';
