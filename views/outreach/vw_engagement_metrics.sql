-- outreach.vw_engagement_metrics: sends and engagement per Company Target (docs/reference/gate.md).
-- One row per target (zeros where nothing was sent); a summary view.
CREATE OR REPLACE VIEW outreach.vw_engagement_metrics AS
SELECT t.outreach_id,
       coalesce(s.sends, 0)          AS sends,
       coalesce(e.opens, 0)          AS opens,
       coalesce(e.clicks, 0)         AS clicks,
       coalesce(e.replies, 0)        AS replies,
       coalesce(e.bounces, 0)        AS bounces,
       coalesce(e.unsubscribes, 0)   AS unsubscribes,
       t.company_unique_id,
       t.target_id,
       s.last_sent_at,
       e.last_event_at
  FROM outreach.company_target t
  LEFT JOIN (
        SELECT sl.outreach_id, count(*) AS sends, max(sl.sent_at) AS last_sent_at
          FROM outreach.send_log sl
         GROUP BY sl.outreach_id
       ) s ON s.outreach_id = t.outreach_id
  LEFT JOIN (
        SELECT ee.outreach_id,
               count(*) FILTER (WHERE ee.event_type = 'OPEN')        AS opens,
               count(*) FILTER (WHERE ee.event_type = 'CLICK')       AS clicks,
               count(*) FILTER (WHERE ee.event_type = 'REPLY')       AS replies,
               count(*) FILTER (WHERE ee.event_type = 'BOUNCE')      AS bounces,
               count(*) FILTER (WHERE ee.event_type = 'UNSUBSCRIBE') AS unsubscribes,
               max(ee.occurred_at)                                   AS last_event_at
          FROM outreach.engagement_events ee
         GROUP BY ee.outreach_id
       ) e ON e.outreach_id = t.outreach_id;
COMMENT ON VIEW outreach.vw_engagement_metrics IS
    'Summary: per Company Target (outreach_id), sends and engagement events by type (opens, clicks, replies, bounces, unsubscribes; events counted, not distinct sends), with company_unique_id, target_id, last_sent_at, last_event_at (docs/reference/gate.md).';
GRANT SELECT ON outreach.vw_engagement_metrics TO outreach_reader, outreach_sender, outreach_governor;
