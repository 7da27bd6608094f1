-- shq.fn_guard_triggers: every guard trigger the registry shq.guarded_tables expects, one row per
-- trigger, with the definition of the ones generated from a row's kind (the one home of those definitions).
CREATE OR REPLACE FUNCTION shq.fn_guard_triggers()
RETURNS TABLE (table_name regclass, kind text, trigger_name name, definition text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    -- definition: what follows `CREATE TRIGGER <name>`, written the way
    -- pg_get_triggerdef() prints it (events INSERT, DELETE, UPDATE; the table
    -- schema-qualified), so that a trigger that drifted can be told apart.
    -- The number in a name fixes the firing order among a table's triggers of
    -- one event (010 guards first, 900 tombstones last). NULL definition: a
    -- hand-written trigger, defined in its own file under triggers/.
    SELECT g.table_name, g.kind, s.trigger_name, s.definition
      FROM shq.guarded_tables g
      JOIN pg_class c ON c.oid = g.table_name
     CROSS JOIN LATERAL (
           SELECT format('trg_%s_010_append_only', c.relname)::name,
                  format('BEFORE DELETE OR UPDATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only()',
                         g.table_name)
            WHERE g.kind = 'append_only'
           UNION ALL
           SELECT format('trg_%s_011_append_only_truncate', c.relname)::name,
                  format('BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only()', g.table_name)
            WHERE g.kind = 'append_only'
           UNION ALL
           SELECT format('trg_%s_010_sovereign_guard', c.relname)::name,
                  format('BEFORE INSERT OR DELETE OR UPDATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_sovereign_guard()',
                         g.table_name)
            WHERE g.kind = 'sovereign'
           UNION ALL
           SELECT format('trg_%s_011_sovereign_guard_truncate', c.relname)::name,
                  format('BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_sovereign_guard()', g.table_name)
            WHERE g.kind = 'sovereign'
           UNION ALL
           -- the attachment rule is not checked row by row for a bulk load
           -- that proves it set-based instead: replica mode (only a
           -- superuser, who could disable the trigger anyway, can set it)
           -- plus the transaction-local declaration (pyctl seed; its
           -- composite foreign keys are the rule, docs/development.md). Tested
           -- in the WHEN, not in the function: a row of such a load then
           -- costs no PL/pgSQL call.
           SELECT format('trg_%s_010_attachment', c.relname)::name,
                  format('BEFORE INSERT OR UPDATE ON %s FOR EACH ROW'
                         ' WHEN (((current_setting(''session_replication_role''::text) <> ''replica''::text)'
                         ' OR (current_setting(''outreach.attachment_checked_set_based''::text, true)'
                         ' IS DISTINCT FROM ''on''::text)))'
                         ' EXECUTE FUNCTION outreach.tg_subhub_attachment()',
                         g.table_name)
            WHERE g.kind = 'attachment'
           UNION ALL
           SELECT format('trg_%s_900_seal_tombstone', c.relname)::name,
                  format('AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT'
                         ' EXECUTE FUNCTION shq.tg_audit_tombstone(%L)', g.table_name, g.id_column)
            WHERE g.kind = 'sealed'
           UNION ALL
           SELECT t.name, NULL::text
             FROM unnest(g.triggers) AS t(name)
       ) AS s(trigger_name, definition)
     ORDER BY g.table_name::text, s.trigger_name;
$$;
COMMENT ON FUNCTION shq.fn_guard_triggers() IS
    'The guard triggers the registry shq.guarded_tables expects, ENABLE ALWAYS every one: generated ones with their definition (append_only: _010/_011 shq.tg_append_only; sovereign: _010/_011 shq.tg_sovereign_guard; attachment: _010 outreach.tg_subhub_attachment, skipped by its WHEN for a bulk load that declares the rule checked set-based in replica mode; sealed: _900 shq.tg_audit_tombstone(id_column)), hand-written ones (write_once, send_log, engagement) with a NULL definition.';
GRANT EXECUTE ON FUNCTION shq.fn_guard_triggers() TO outreach_governor;
