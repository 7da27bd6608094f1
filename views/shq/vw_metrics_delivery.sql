-- shq.vw_metrics_delivery: metric family outreach_delivery: sends and engagement events by type in
-- the last 5 minutes and the last hour (docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_delivery AS
-- sends by sent_at, engagement by recorded_at (when it reached us), each one
-- pass over its last hour (BRIN indexes); SEND is always present
WITH recent AS (
    SELECT 'SEND'::text AS event_type,
           count(*) FILTER (WHERE s.sent_at > now() - interval '5 minutes') AS last_5m,
           count(*) AS last_1h
      FROM outreach.send_log AS s
     WHERE s.sent_at > now() - interval '1 hour'
    UNION ALL
    -- every arm names its columns: pg_dump would otherwise restore a differently worded view
    SELECT e.event_type,
           count(*) FILTER (WHERE e.recorded_at > now() - interval '5 minutes') AS last_5m,
           count(*) AS last_1h
      FROM outreach.engagement_events AS e
     WHERE e.recorded_at > now() - interval '1 hour'
     GROUP BY e.event_type)
SELECT w.time_window,
       h.event_type,
       w.n AS events
  FROM recent AS h
 CROSS JOIN LATERAL (VALUES ('5m', h.last_5m), ('1h', h.last_1h)) AS w(time_window, n);
COMMENT ON VIEW shq.vw_metrics_delivery IS
    'Sends (outreach.send_log, by sent_at) and engagement events (outreach.engagement_events, by recorded_at) in the last 5 minutes and the last hour, by type; an engagement type not seen in the last hour has no row (SEND always has one).';
COMMENT ON COLUMN shq.vw_metrics_delivery.time_window IS 'LABEL: 5m or 1h, the window ending now';
COMMENT ON COLUMN shq.vw_metrics_delivery.event_type IS 'LABEL: SEND, or the engagement event_type (OPEN, CLICK, REPLY, BOUNCE, UNSUBSCRIBE)';
COMMENT ON COLUMN shq.vw_metrics_delivery.events IS 'GAUGE: sends or engagement events of this type in the window';
GRANT SELECT ON shq.vw_metrics_delivery TO outreach_monitor, outreach_governor;
