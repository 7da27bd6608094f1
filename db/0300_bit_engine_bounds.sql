-- BIT engine (docs/reference/bit.md): value bounds the scoring arithmetic relies on, and room for HOT updates of bit_scores.
-- depends: 0007_tool_canon
SET LOCAL search_path = pg_catalog, pg_temp;

-- The refresh computes each signal's decayed contribution in double
-- precision and sums it as an exact integer count of 1e-9 points (so a sum
-- never depends on row order and explain's contributions add up exactly).
-- That needs points that are finite, at most 1,000,000 and given to at most
-- 9 decimals (NaN and Infinity fail `points <= 1000000`), occurred_at
-- finite (an infinite age cannot decay), and a finite half-life.
ALTER TABLE outreach.bit_signals
    ADD CONSTRAINT bit_signals_points_bounds
        CHECK (points <= 1000000 AND pg_catalog.scale(points) <= 9),
    ADD CONSTRAINT bit_signals_occurred_at_finite
        CHECK (occurred_at > '-infinity'::timestamptz AND occurred_at < 'infinity'::timestamptz);

ALTER TABLE outreach.bit_signal_types
    ADD CONSTRAINT bit_signal_types_points_bounds
        CHECK (points <= 1000000 AND pg_catalog.scale(points) <= 9),
    ADD CONSTRAINT bit_signal_types_half_life_finite
        CHECK (half_life_days < 'Infinity'::numeric);

-- Every refresh rewrites the score rows it covers; with half of each page
-- free those rewrites are HOT updates (no new index entry per row).
ALTER TABLE outreach.bit_scores SET (fillfactor = 50);

COMMENT ON COLUMN outreach.bit_signals.points IS
    'Base points of this signal (the type''s by default): 0..1,000,000, at most 9 decimals.';
COMMENT ON COLUMN outreach.bit_signals.dedup_key IS
    'Idempotency key: a second signal with the same (outreach_id, signal_type, dedup_key) is not stored; NULL = never deduplicated.';
COMMENT ON COLUMN outreach.bit_scores.as_of IS
    'The instant the score was computed for (signals after it ignored, decay measured to it).';
