-- shq._metrics_seal_lag: how far the seal chain is behind each audited table: rows not sealed yet,
-- when the oldest of them was recorded, when the table was last sealed (tamper evidence; docs/monitoring.md).
CREATE OR REPLACE FUNCTION shq._metrics_seal_lag()
RETURNS TABLE (table_name text, unsealed_rows bigint, oldest_unsealed_at timestamptz, last_sealed_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- Constant time per table, whatever its size: the newest seal (index on
-- audit_seals), the identity sequence's last value, and one row read through
-- the key's index. unsealed_rows counts the identity values issued after the
-- last sealed one, so an insert that rolled back after taking an id counts
-- too (an upper bound, exact when no insert failed). A row's recording time
-- is the table's timestamptz column that defaults to now() or clock_timestamp().
DECLARE
    r record;
    v_last_id bigint;
    v_horizon bigint;
    v_time_col name;
BEGIN
    FOR r IN SELECT t.table_name, t.id_column FROM shq.fn_audit_sealed_tables() AS t
              WHERE to_regclass(t.table_name) IS NOT NULL ORDER BY t.table_name
    LOOP
        table_name := r.table_name;
        SELECT s.last_id, s.sealed_at INTO v_last_id, last_sealed_at
          FROM shq.audit_seals AS s WHERE s.table_name = r.table_name
         ORDER BY s.seal_id DESC LIMIT 1;
        IF NOT FOUND THEN
            v_last_id := NULL;
            last_sealed_at := NULL;
        END IF;
        v_horizon := pg_sequence_last_value(pg_get_serial_sequence(r.table_name, r.id_column)::regclass);
        unsealed_rows := greatest(coalesce(v_horizon, 0) - coalesce(v_last_id, 0), 0);
        SELECT a.attname INTO v_time_col
          FROM pg_attribute AS a
          JOIN pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE a.attrelid = to_regclass(r.table_name) AND a.atttypid = 'timestamptz'::regtype
           AND NOT a.attisdropped AND pg_get_expr(d.adbin, d.adrelid) IN ('now()', 'clock_timestamp()')
         ORDER BY a.attnum LIMIT 1;
        oldest_unsealed_at := NULL;
        IF v_time_col IS NOT NULL AND unsealed_rows > 0 THEN
            EXECUTE format('SELECT t.%I FROM %I.%I AS t WHERE t.%I > $1 ORDER BY t.%I LIMIT 1',
                           v_time_col, split_part(r.table_name, '.', 1), split_part(r.table_name, '.', 2),
                           r.id_column, r.id_column)
               INTO oldest_unsealed_at USING coalesce(v_last_id, -9223372036854775808);
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION shq._metrics_seal_lag() IS
    'Private (read by shq.vw_metrics_seal): per audited table of shq.fn_audit_sealed_tables(), identity values issued after the last sealed row (an upper bound of the rows not sealed yet), the recording time of the oldest unsealed row, and the time of the last seal.';
GRANT EXECUTE ON FUNCTION shq._metrics_seal_lag() TO outreach_monitor, outreach_governor;
