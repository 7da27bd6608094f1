-- shq.tg_state_history(): the one writer of the state history (db/1300_state_history.sql, docs/soak.md): AFTER INSERT,
-- UPDATE or DELETE per statement (transition tables new_rows / old_rows); its arguments name the history table and columns.
CREATE OR REPLACE FUNCTION shq.tg_state_history()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- dynamic SQL built only from a regclass and quote_ident()ed column names of the trigger's own arguments:
-- @plpgsql_check_options: security_warnings = false
DECLARE
    v_now timestamptz := clock_timestamp();   -- the changing statement has just ended
    v_history regclass := TG_ARGV[0]::regclass;            -- the history table
    v_keys text[] := string_to_array(TG_ARGV[1], ',');      -- the row's key (the join of old and new rows)
    v_tracked text[] := string_to_array(TG_ARGV[2], ',');   -- the columns whose values the history keeps
    -- the columns that identify the row in the history: its key, then the optional fourth argument's
    v_ids text[] := v_keys || coalesce(string_to_array(TG_ARGV[3], ','), '{}');
    v_key_values text;
    v_tracked_values text;
    v_source text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        v_key_values := (SELECT string_agg(format('n.%I', c), ', ' ORDER BY i) FROM unnest(v_ids) WITH ORDINALITY AS k(c, i));
        v_tracked_values := (SELECT string_agg(format('n.%I', c), ', ' ORDER BY i) FROM unnest(v_tracked) WITH ORDINALITY AS t(c, i));
        v_source := 'new_rows AS n';
    ELSIF TG_OP = 'DELETE' THEN
        -- the row is gone: its key, and NULL for every tracked value
        v_key_values := (SELECT string_agg(format('o.%I', c), ', ' ORDER BY i) FROM unnest(v_ids) WITH ORDINALITY AS k(c, i));
        v_tracked_values := (SELECT string_agg('NULL', ', ') FROM unnest(v_tracked) AS t(c));
        v_source := 'old_rows AS o';
    ELSE
        -- FULL JOIN: an update that changed a row's key (nothing sanctioned does) shows as the old key
        -- gone (NULL values) and the new key's values; otherwise only rows whose tracked values changed
        v_key_values := (SELECT string_agg(format('coalesce(n.%1$I, o.%1$I)', c), ', ' ORDER BY i)
                           FROM unnest(v_ids) WITH ORDINALITY AS k(c, i));
        v_tracked_values := (SELECT string_agg(format('n.%I', c), ', ' ORDER BY i) FROM unnest(v_tracked) WITH ORDINALITY AS t(c, i));
        v_source := format('new_rows AS n FULL JOIN old_rows AS o ON %s WHERE n.%I IS NULL OR o.%I IS NULL OR (%s) IS DISTINCT FROM (%s)',
                           (SELECT string_agg(format('o.%1$I = n.%1$I', c), ' AND ' ORDER BY i) FROM unnest(v_keys) WITH ORDINALITY AS k(c, i)),
                           v_keys[1], v_keys[1],
                           v_tracked_values,
                           (SELECT string_agg(format('o.%I', c), ', ' ORDER BY i) FROM unnest(v_tracked) WITH ORDINALITY AS t(c, i)));
    END IF;
    EXECUTE format('INSERT INTO %s (%s, operation, %s, changed_at, changed_by) SELECT %s, %L, %s, $1, session_user FROM %s',
                   v_history,
                   (SELECT string_agg(format('%I', c), ', ' ORDER BY i) FROM unnest(v_ids) WITH ORDINALITY AS k(c, i)),
                   (SELECT string_agg(format('%I', c), ', ' ORDER BY i) FROM unnest(v_tracked) WITH ORDINALITY AS t(c, i)),
                   v_key_values, TG_OP, v_tracked_values, v_source)
        USING v_now;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION shq.tg_state_history() IS
    'Trigger (AFTER INSERT, UPDATE or DELETE, per statement; arguments: history table, key columns, tracked columns, '
    'optional other identifying columns, lists comma-separated): one history row per row inserted, deleted, or updated with a tracked value changed, in the same '
    'transaction (state history).';
