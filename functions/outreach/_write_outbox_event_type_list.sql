-- outreach._write_outbox_event_type_list(): writes outreach._outbox_event_type_listed(destination, event_type), the
-- list of outreach.outbox_event_types as an inlinable SQL function that the events' CHECK calls. Re-run by every migrate.
CREATE OR REPLACE FUNCTION outreach._write_outbox_event_type_list()
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- Why a generated function, not a lookup: every send writes two events, and
-- a lookup (a foreign key, or a statement trigger reading the table) cost the
-- send path a row lock or a trigger call. As a constant list in an inlinable
-- SQL function (one SELECT, no SET, not SECURITY DEFINER, VOLATILE like the
-- raise it calls), the CHECK outbox_events_type_listed is a plain expression
-- evaluated per row. outreach.outbox_event_types stays the one list: this is
-- the one place that reads it for the check; every `pyctl migrate` runs it
-- (below) and so does every statement that writes the table (its trigger
-- trg_outbox_event_types_500_type_list), in the same transaction, so a type
-- added and used in one transaction works. Replacing the function
-- invalidates every cached plan that inlined it. A type is never removed or
-- renamed (tg_outbox_event_types__before_change), so no stored event ever
-- falls out of the list.
DECLARE
    v_list text;
BEGIN
    SELECT coalesce(string_agg(format('(%L, %L)', t.destination, t.event_type), ', '
                               ORDER BY t.destination, t.event_type), '')
      INTO v_list
      FROM outreach.outbox_event_types t;
    EXECUTE format($f$CREATE OR REPLACE FUNCTION outreach._outbox_event_type_listed(p_destination text, p_event_type text)
                      RETURNS boolean LANGUAGE sql VOLATILE AS %L$f$,
                   CASE WHEN v_list = '' THEN 'SELECT outreach._raise_unknown_outbox_event_type($1, $2)'
                        ELSE format('SELECT CASE WHEN ($1, $2) IN (%s) THEN true'
                                    ' ELSE outreach._raise_unknown_outbox_event_type($1, $2) END', v_list) END);
    EXECUTE $c$COMMENT ON FUNCTION outreach._outbox_event_type_listed(text, text) IS
        'Internal: true when (destination, event_type) is a row of outreach.outbox_event_types, else 23503; a constant list written by outreach._write_outbox_event_type_list() and called by the CHECK outbox_events_type_listed (docs/reference/outbox.md). Inlinable.'$c$;
    EXECUTE 'REVOKE ALL ON FUNCTION outreach._outbox_event_type_listed(text, text) FROM PUBLIC';
END
$$;
COMMENT ON FUNCTION outreach._write_outbox_event_type_list() IS
    'Internal: (re)writes outreach._outbox_event_type_listed(destination, event_type), the rows of outreach.outbox_event_types as a constant list that the CHECK outbox_events_type_listed on outreach.outbox_events calls; run by every pyctl migrate and by the types'' statement trigger (docs/reference/outbox.md).';
REVOKE ALL ON FUNCTION outreach._write_outbox_event_type_list() FROM PUBLIC;
DO $$
BEGIN
    PERFORM outreach._write_outbox_event_type_list();
END
$$;
