-- outreach.engagement_events is append-only (SPEC §0): UPDATE, DELETE, TRUNCATE raise OG004 for every role.
CREATE OR REPLACE TRIGGER trg_engagement_events_010_append_only
    BEFORE UPDATE OR DELETE ON outreach.engagement_events
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
CREATE OR REPLACE TRIGGER trg_engagement_events_011_append_only_truncate
    BEFORE TRUNCATE ON outreach.engagement_events
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_append_only();
ALTER TABLE outreach.engagement_events ENABLE ALWAYS TRIGGER trg_engagement_events_010_append_only;
ALTER TABLE outreach.engagement_events ENABLE ALWAYS TRIGGER trg_engagement_events_011_append_only_truncate;
