-- outreach._bit_decay_sql: private; the SQL text of the BIT decay arithmetic (SPEC §4),
-- one definition for fn_refresh_bit_scores, fn_compute_bit_score and fn_explain_bit_score.
CREATE OR REPLACE FUNCTION outreach._bit_decay_sql(p_part text, p_as_of_epoch_sql text, p_divisor_sql text)
RETURNS text
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    -- In the text: `s` is outreach.bit_signals; p_as_of_epoch_sql a float8
    -- expression for the as_of instant in epoch seconds, p_divisor_sql one
    -- for 86400 * half_life_days (seconds per half-life; 'Infinity' when the
    -- type does not decay, so its factor is exactly 0.5 ^ 0 = 1).
    --   factor = 0.5 ^ (age_seconds / divisor) in double precision, with
    --            age_seconds = as_of epoch - s.occurred_epoch (= extract(epoch
    --            from as_of - occurred_at), to well under a millisecond);
    --            past 64 half-lives it stays at 0.5 ^ 64, whose contribution
    --            rounds to 0 (and power() cannot underflow).
    --   units  = s.points_nano * factor rounded to whole 1e-9 points (int8):
    --            summed exactly, so a sum never depends on row order, and
    --            exactly the points when the factor is 1; score =
    --            LEAST(100, round(sum(units) * 1e-9, 2)).
    SELECT CASE p_part
               WHEN 'factor' THEN x.factor
               WHEN 'units' THEN format('(s.points_nano::float8 OPERATOR(pg_catalog.*) %s)::int8', x.factor)
           END
      FROM (SELECT format('pg_catalog.power(0.5::float8, LEAST(((%s) OPERATOR(pg_catalog.-) s.occurred_epoch)'
                          ' OPERATOR(pg_catalog./) (%s), 64::float8))', p_as_of_epoch_sql, p_divisor_sql) AS factor) x;
$$;
COMMENT ON FUNCTION outreach._bit_decay_sql(text, text, text) IS
    'Private: SQL text of the BIT decay factor (p_part ''factor'') or of a signal''s contribution in whole 1e-9 points (''units''), for the dynamic queries of the BIT functions (SPEC §4).';
