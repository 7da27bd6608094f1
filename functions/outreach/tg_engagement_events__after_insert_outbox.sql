-- outreach.tg_engagement_events__after_insert_outbox(): engagement events to the outbox (docs/consuming-events.md):
-- every one to analytics, a REPLY as REPLIED and a BOUNCE as BOUNCED to CL. Statement-level, NEW TABLE new_events.
CREATE OR REPLACE FUNCTION outreach.tg_engagement_events__after_insert_outbox()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- @plpgsql_check_options: newtable = new_events
-- SECURITY DEFINER: the sender inserts engagement events, the outbox takes
-- rows from its owner only. An UNSUBSCRIBE reaches CL as UNSUBSCRIBED through
-- the opt-out it causes (outreach.tg_company_target__after_update_outbox).
BEGIN
    INSERT INTO outreach.outbox_events (destination, event_type, company_unique_id, outreach_id, payload, occurred_at)
    SELECT x.destination, x.event_type, n.company_unique_id, n.outreach_id,
           jsonb_build_object('engagement_event_id', n.event_id, 'send_id', n.send_id, 'target_id', n.target_id,
                              'campaign_id', s.campaign_id),
           n.occurred_at
      FROM new_events n
      JOIN outreach.send_log s ON s.send_id = n.send_id
     CROSS JOIN LATERAL (VALUES (1, 'analytics', n.event_type),
                                (2, 'cl', CASE n.event_type WHEN 'REPLY' THEN 'REPLIED'
                                                            WHEN 'BOUNCE' THEN 'BOUNCED' END)) AS x(n, destination, event_type)
     WHERE x.event_type IS NOT NULL
     ORDER BY n.event_id, x.n;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_engagement_events__after_insert_outbox() IS
    'Trigger (AFTER INSERT ON engagement_events, per statement): an analytics event per engagement event (its event_type), and a cl REPLIED or BOUNCED event for a REPLY or BOUNCE, in the same transaction (docs/consuming-events.md).';
