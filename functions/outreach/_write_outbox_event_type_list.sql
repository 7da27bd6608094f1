-- outreach._write_outbox_event_type_list(): writes outreach._outbox_event_type_listed(destination, event_type), the
-- list of outreach.outbox_event_types as a constant PL/pgSQL function that the events' CHECK calls. Re-run by every migrate.
CREATE OR REPLACE FUNCTION outreach._write_outbox_event_type_list()
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- Why a generated function, not a lookup: every send writes two events, and
-- a lookup (a foreign key, or a statement trigger reading the table) cost the
-- send path a row lock or a trigger call. The CHECK outbox_events_type_listed
-- calls the generated function once per event: a constant list, no query.
-- PL/pgSQL, not an inlinable SQL function: PostgreSQL re-plans a CHECK's
-- expression for every statement, and inlining an SQL function parses its
-- body each time, which cost more than the trigger it replaces; a PL/pgSQL
-- function keeps its compiled body for the session. STABLE: a read-only
-- function takes no new snapshot per expression. No SET clause (a GUC save
-- and restore on every call), not SECURITY DEFINER (it reads nothing).
-- outreach.outbox_event_types stays the one list: this is the one place that
-- reads it for the check; it writes the function through
-- outreach._write_generated_function, like the other generated constants.
-- Every `pyctl migrate` runs it (below) and so does
-- every statement that writes the table (its trigger
-- trg_outbox_event_types_500_type_list), in the same transaction, so a type
-- added and used in one transaction works (a replaced PL/pgSQL function is
-- recompiled at its next call). A type is never removed or renamed
-- (tg_outbox_event_types__before_change), so no stored event ever falls out
-- of the list.
BEGIN
    PERFORM outreach._write_generated_function(
        'outreach._outbox_event_type_listed(p_destination text, p_event_type text)',
        'RETURNS boolean LANGUAGE plpgsql STABLE',
        $q$SELECT format(E'\nBEGIN\n    IF p_event_type = ANY (CASE p_destination %s END) THEN\n        RETURN true;\n    END IF;'
                          '\n    RETURN outreach._raise_unknown_outbox_event_type(p_destination, p_event_type);\nEND\n',
                          coalesce(string_agg(format('WHEN %L THEN %L::text[]', l.destination, l.event_types), ' '
                                              ORDER BY l.destination), ''))
             FROM (SELECT t.destination, array_agg(t.event_type ORDER BY t.event_type) AS event_types
                     FROM outreach.outbox_event_types t
                    GROUP BY t.destination) l$q$,
        'Internal: true when (destination, event_type) is a row of outreach.outbox_event_types, else 23503; a constant list written by outreach._write_outbox_event_type_list() and called by the CHECK outbox_events_type_listed (docs/reference/outbox.md).');
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
