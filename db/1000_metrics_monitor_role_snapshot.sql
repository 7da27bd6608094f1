-- Observability: the outreach_monitor role (reads the metric views) and the snapshot table
-- behind the metric families too expensive to compute on every scrape. (Monitoring, docs/monitoring.md)
-- depends: 0700_audit_seals
SET LOCAL search_path = pg_catalog, pg_temp;

-- A NOLOGIN group role like the others: the login that postgres_exporter uses
-- is made a member of it. It may read the shq.vw_metrics_* views and nothing
-- else (no raw table, no writer).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'outreach_monitor') THEN
        CREATE ROLE outreach_monitor NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA shq TO outreach_monitor;

-- One row per snapshot: the figures that need a scan of a million-row table
-- or view (the tier distribution, spine alignment, BIT score ages) and the
-- pg_cron job health (which only the role that scheduled the jobs can read).
-- shq.fn_refresh_metrics_snapshot() rewrites it (pg_cron, every 5 minutes);
-- the metric views read it and export its age.
CREATE TABLE shq.metrics_snapshot (
    name         text PRIMARY KEY CHECK (pg_catalog.btrim(name) <> ''),
    data         jsonb NOT NULL,
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    refreshed_by text NOT NULL DEFAULT current_user,
    duration_ms  numeric NOT NULL CHECK (duration_ms >= 0)
);
COMMENT ON TABLE shq.metrics_snapshot IS
    'Metric snapshots (tier, spine, bit, job): figures too expensive to compute on every scrape, rewritten by shq.fn_refresh_metrics_snapshot(); the shq.vw_metrics_* views read them and export each one''s age.';
COMMENT ON COLUMN shq.metrics_snapshot.data IS 'The figures, as jsonb; the shape belongs to the view that reads it.';
COMMENT ON COLUMN shq.metrics_snapshot.refreshed_by IS 'The role that computed it (for the job snapshot: whose pg_cron jobs it could see).';
COMMENT ON COLUMN shq.metrics_snapshot.duration_ms IS 'How long computing it took, in milliseconds.';

-- The gate, delivery and engagement families count the rows of the last hour.
-- These tables are insert-only in time order, so a BRIN index finds that hour
-- for a few pages of index and costs the writers (the gate) almost nothing.
CREATE INDEX send_attempt_audit_time_brin ON outreach.send_attempt_audit USING brin (attempt_timestamp);
CREATE INDEX send_log_time_brin ON outreach.send_log USING brin (sent_at);
CREATE INDEX engagement_events_recorded_brin ON outreach.engagement_events USING brin (recorded_at);
COMMENT ON INDEX outreach.send_attempt_audit_time_brin IS 'Metrics: gate attempts of the last hour (shq.vw_metrics_gate).';
COMMENT ON INDEX outreach.send_log_time_brin IS 'Metrics: sends of the last hour (shq.vw_metrics_delivery).';
COMMENT ON INDEX outreach.engagement_events_recorded_brin IS 'Metrics: engagement recorded in the last hour (shq.vw_metrics_delivery).';
