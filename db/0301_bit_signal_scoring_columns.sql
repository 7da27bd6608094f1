-- BIT engine (docs/reference/bit.md): per-signal values the scoring reads, computed once when the signal is stored.
-- depends: 0300_bit_engine_bounds
SET LOCAL search_path = pg_catalog, pg_temp;

-- The refresh reads every signal; converting numeric points and timestamps
-- per row and per refresh was most of its cost. Both columns are exact
-- functions of the row (generated, so no writer can disagree with them):
--   points_nano     points in whole 1e-9 points (points has at most 9
--                   decimals and is at most 1,000,000: exact, and exact in
--                   double precision too);
--   occurred_epoch  occurred_at in epoch seconds, the same double as
--                   date_part('epoch', occurred_at) (AT TIME ZONE 'UTC'
--                   makes it immutable without changing the instant).
ALTER TABLE outreach.bit_signals
    ADD COLUMN points_nano bigint
        GENERATED ALWAYS AS ((points * 1000000000)::bigint) STORED,
    ADD COLUMN occurred_epoch double precision
        GENERATED ALWAYS AS (pg_catalog.date_part('epoch', pg_catalog.timezone('UTC', occurred_at))) STORED;

COMMENT ON COLUMN outreach.bit_signals.points_nano IS
    'Generated: points in whole 1e-9 points (exact), what the BIT scoring multiplies by the decay factor.';
COMMENT ON COLUMN outreach.bit_signals.occurred_epoch IS
    'Generated: occurred_at in epoch seconds (double precision), what the BIT scoring measures ages from.';
