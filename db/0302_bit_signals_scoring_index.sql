-- BIT engine (docs/reference/bit.md): a covering index the full refresh reads instead of the signals' heap.
-- depends: 0301_bit_signal_scoring_columns
SET LOCAL search_path = pg_catalog, pg_temp;

-- fn_refresh_bit_scores aggregates every signal per company. Read from this
-- index, the signals arrive already grouped by company (an index-only scan
-- into a sorted aggregate, no hash table of a million rows) and carry only
-- what the score needs. It replaces the plain (outreach_id, occurred_at)
-- index, which served the per-company reads this one serves as well.
CREATE INDEX bit_signals_scoring_idx ON outreach.bit_signals (outreach_id, occurred_at)
    INCLUDE (signal_type, points_nano, occurred_epoch);
DROP INDEX outreach.bit_signals_outreach_occurred_idx;

-- An index-only scan is only index-only for pages the visibility map marks
-- all-visible. Signals are insert-only, so only autovacuum's insert trigger
-- sets those bits; vacuum after 2% new rows instead of the default 20%.
ALTER TABLE outreach.bit_signals SET (autovacuum_vacuum_insert_scale_factor = 0.02);

COMMENT ON INDEX outreach.bit_signals_scoring_idx IS
    'Covering index of the BIT refresh: signals per company in time order, with what the decayed score needs (index-only scans).';
