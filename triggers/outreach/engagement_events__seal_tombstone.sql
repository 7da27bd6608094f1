-- outreach.engagement_events: keep every deleted row in shq.audit_seal_tombstones so its seals stay verifiable after the sanctioned cascade (tamper evidence).
CREATE OR REPLACE TRIGGER trg_engagement_events_900_seal_tombstone
    AFTER DELETE ON outreach.engagement_events
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION shq.tg_audit_tombstone('event_id');
ALTER TABLE outreach.engagement_events ENABLE ALWAYS TRIGGER trg_engagement_events_900_seal_tombstone;
