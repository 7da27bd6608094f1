-- outreach.vw_outbox_parked: the poison events: parked for a consumer after max_attempts deliveries, not
-- resolved yet, with the event itself (docs/consuming-events.md).
CREATE OR REPLACE VIEW outreach.vw_outbox_parked AS
SELECT pk.consumer,
       pk.destination,
       pk.event_id,
       e.event_type,
       e.company_unique_id,
       pk.attempts,
       pk.last_error,
       pk.parked_at,
       e.recorded_at,
       e.payload
  FROM outreach.outbox_parked pk
  JOIN outreach.outbox_events e ON e.event_id = pk.event_id
 WHERE pk.resolved_at IS NULL;
COMMENT ON VIEW outreach.vw_outbox_parked IS
    'Parked (poison) outbox events not resolved yet: consumer, the event, its attempts and last error; resolve with outreach.fn_outbox_resolve_parked once handled (docs/consuming-events.md).';
GRANT SELECT ON outreach.vw_outbox_parked TO outreach_governor;
