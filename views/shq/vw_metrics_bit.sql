-- shq.vw_metrics_bit: metric family outreach_bit: BIT score staleness (docs/reference/bit.md), from the BIT
-- snapshot; ages are computed at scrape time (docs/monitoring.md).
CREATE OR REPLACE VIEW shq.vw_metrics_bit AS
SELECT (s.data ->> 'scored_companies')::bigint AS scored_companies,
       extract(epoch FROM now() - (s.data ->> 'oldest_as_of')::timestamptz)::double precision
           AS oldest_score_age_seconds,
       extract(epoch FROM now() - (s.data ->> 'newest_as_of')::timestamptz)::double precision
           AS newest_score_age_seconds
  FROM shq.metrics_snapshot AS s
 WHERE s.name = 'bit';
COMMENT ON VIEW shq.vw_metrics_bit IS
    'BIT scores (outreach.bit_scores) as of the last metric snapshot: companies scored, and how long ago the oldest and the newest score were evaluated (as_of): scores decay, so an old as_of is a stale score.';
COMMENT ON COLUMN shq.vw_metrics_bit.scored_companies IS 'GAUGE: companies with a BIT score row';
COMMENT ON COLUMN shq.vw_metrics_bit.oldest_score_age_seconds IS 'GAUGE: seconds since the stalest score was evaluated (NaN when none)';
COMMENT ON COLUMN shq.vw_metrics_bit.newest_score_age_seconds IS 'GAUGE: seconds since the freshest score was evaluated (NaN when none)';
GRANT SELECT ON shq.vw_metrics_bit TO outreach_monitor, outreach_governor;
