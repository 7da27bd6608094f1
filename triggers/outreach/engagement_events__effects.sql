-- outreach.engagement_events: UNSUBSCRIBE opts the target out, REPLY adds an ENGAGEMENT_REPLY BIT signal (docs/reference/gate.md).
CREATE OR REPLACE TRIGGER trg_engagement_events_500_effects
    AFTER INSERT ON outreach.engagement_events
    FOR EACH ROW EXECUTE FUNCTION outreach.tg_engagement_events__after_insert();
ALTER TABLE outreach.engagement_events ENABLE ALWAYS TRIGGER trg_engagement_events_500_effects;
