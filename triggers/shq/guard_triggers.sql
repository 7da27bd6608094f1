-- Every guard trigger of the registry shq.guarded_tables: the generated ones (append-only, sealed, sovereign,
-- attachment) created or repaired, and all of them, hand-written ones included, set to ENABLE ALWAYS.
DO $$
BEGIN
    RAISE NOTICE 'guard triggers: % in place', shq.fn_install_guard_triggers();
END
$$;
