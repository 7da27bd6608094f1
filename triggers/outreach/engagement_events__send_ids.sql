-- outreach.engagement_events: an event names its send and carries the send's ids (OG006).
CREATE OR REPLACE TRIGGER trg_engagement_events_020_send_ids
    BEFORE INSERT ON outreach.engagement_events
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_engagement_events__before_insert();
ALTER TABLE outreach.engagement_events ENABLE ALWAYS TRIGGER trg_engagement_events_020_send_ids;
