-- outreach.engagement_events: every engagement event to analytics, REPLY and BOUNCE to CL, in the same
-- transaction (docs/consuming-events.md). An ordinary (ENABLE ORIGIN) trigger: a replica applying
-- replicated rows receives the replicated events instead.
CREATE OR REPLACE TRIGGER trg_engagement_events_800_outbox
    AFTER INSERT ON outreach.engagement_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION outreach.tg_engagement_events__after_insert_outbox();
