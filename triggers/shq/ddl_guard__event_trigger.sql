-- The DDL guard's event triggers (tamper evidence): installed when the migrating role is a superuser,
-- otherwise a WARNING says why not (event triggers need a superuser). See shq.fn_install_ddl_guard().
DO $$
BEGIN
    RAISE NOTICE 'DDL guard: %', shq.fn_install_ddl_guard();
END
$$;
