-- shq._put_metrics_snapshot: upsert one row of shq.metrics_snapshot, timed from p_started
-- (monitoring; docs/monitoring.md).
CREATE OR REPLACE FUNCTION shq._put_metrics_snapshot(p_name text, p_data jsonb, p_started timestamptz)
RETURNS TABLE (name text, refreshed boolean, duration_ms numeric, detail text)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO shq.metrics_snapshot AS m (name, data, refreshed_at, refreshed_by, duration_ms)
    VALUES (p_name, coalesce(p_data, '{}'), clock_timestamp(), session_user,
            round(extract(epoch FROM clock_timestamp() - p_started) * 1000, 1))
    ON CONFLICT ON CONSTRAINT metrics_snapshot_pkey DO UPDATE
        SET data = excluded.data, refreshed_at = excluded.refreshed_at, refreshed_by = excluded.refreshed_by,
            duration_ms = excluded.duration_ms
    RETURNING m.name, true, m.duration_ms, NULL::text;
$$;
COMMENT ON FUNCTION shq._put_metrics_snapshot(text, jsonb, timestamptz) IS
    'Private: stores one metric snapshot (name, data) with its refresh time and how long it took since p_started (shq._store_metrics_snapshot).';
