-- shq.vw_metrics_outbox: metric family outreach_outbox: per outbox consumer, what it has not acknowledged
-- yet, how old the oldest of it is, what is parked (docs/monitoring.md, docs/consuming-events.md).
CREATE OR REPLACE VIEW shq.vw_metrics_outbox AS
SELECT s.destination,
       s.consumer,
       s.backlog,
       s.in_flight,
       s.parked,
       coalesce(extract(epoch FROM now() - s.oldest_unacked_at), 0)::double precision AS oldest_unacked_age_seconds
  FROM outreach.fn_outbox_status() AS s;
COMMENT ON VIEW shq.vw_metrics_outbox IS
    'Per outbox consumer (outreach.fn_outbox_status()): events not acknowledged yet, claimed ones, parked ones, age of the oldest not acknowledged.';
COMMENT ON COLUMN shq.vw_metrics_outbox.destination IS 'LABEL: outbox destination (cl, sender, analytics)';
COMMENT ON COLUMN shq.vw_metrics_outbox.consumer IS 'LABEL: consumer name';
COMMENT ON COLUMN shq.vw_metrics_outbox.backlog IS 'GAUGE: events of the destination the consumer has neither acknowledged nor parked (counted up to 100000 per shard)';
COMMENT ON COLUMN shq.vw_metrics_outbox.in_flight IS 'GAUGE: events claimed by the consumer whose visibility timeout is running';
COMMENT ON COLUMN shq.vw_metrics_outbox.parked IS 'GAUGE: poison events parked for the consumer and not resolved';
COMMENT ON COLUMN shq.vw_metrics_outbox.oldest_unacked_age_seconds IS 'GAUGE: seconds since the oldest event the consumer has not acknowledged was recorded (0 when none)';
GRANT SELECT ON shq.vw_metrics_outbox TO outreach_monitor, outreach_governor;
