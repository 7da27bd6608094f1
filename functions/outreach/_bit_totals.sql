-- outreach._bit_totals: per company of a list, the sum of its signals' contributions (whole 1e-9
-- points) up to an instant, their count and the latest (docs/reference/bit.md): what a score is computed from.
CREATE OR REPLACE FUNCTION outreach._bit_totals(p_outreach_ids uuid[], p_as_of timestamptz)
RETURNS TABLE (outreach_id uuid, units numeric, signal_count integer, last_signal_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining),
-- one expression, every name schema-qualified so the caller's search_path cannot change it.
-- A set-returning SQL function of one SELECT, called in FROM: the planner inlines it as a
-- subquery. Companies without a signal up to p_as_of have no row. (The refresh of every
-- company aggregates the same contributions without the join, see fn_refresh_bit_scores.)
AS $$
    SELECT s.outreach_id,
           pg_catalog.sum(outreach._bit_units(s.points_nano, outreach._bit_decay_factor(
               pg_catalog.date_part('epoch', p_as_of), s.occurred_epoch,
               outreach._bit_seconds_per_half_life(t.half_life_days)))),
           pg_catalog.count(*)::pg_catalog.int4,
           pg_catalog.max(s.occurred_at)
      FROM outreach.bit_signals s
      JOIN outreach.bit_signal_types t ON t.signal_type OPERATOR(pg_catalog.=) s.signal_type
     WHERE s.outreach_id OPERATOR(pg_catalog.=) ANY (p_outreach_ids)
       AND s.occurred_at OPERATOR(pg_catalog.<=) p_as_of
     GROUP BY s.outreach_id;
$$;
COMMENT ON FUNCTION outreach._bit_totals(uuid[], timestamptz) IS
    'Private: per listed company with signals up to p_as_of, the sum of their contributions in whole 1e-9 points, their count and the latest occurred_at (docs/reference/bit.md). Inlinable.';
GRANT EXECUTE ON FUNCTION outreach._bit_totals(uuid[], timestamptz) TO outreach_hub_writer, outreach_governor;
