-- outreach._bit_divisor_sql: private; the seconds-per-half-life of a signal as a SQL
-- expression (docs/reference/bit.md): a CASE over the current signal types, so the hot query joins nothing.
CREATE OR REPLACE FUNCTION outreach._bit_divisor_sql()
RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    -- One branch per type, outreach._bit_seconds_per_half_life(<its half-life>):
    -- a constant argument, which the planner folds to the same double a join
    -- with the types would give. A type created after this text was built
    -- falls to the ELSE lookup.
    SELECT 'CASE s.signal_type '
           || coalesce(string_agg(format('WHEN %L THEN outreach._bit_seconds_per_half_life(%s::numeric)',
                                         t.signal_type, coalesce(t.half_life_days::text, 'NULL')),
                                  ' ' ORDER BY t.signal_type),
                       $q$WHEN NULL THEN 'Infinity'::float8$q$)
           || ' ELSE (SELECT outreach._bit_seconds_per_half_life(t.half_life_days) FROM outreach.bit_signal_types t'
           || ' WHERE t.signal_type OPERATOR(pg_catalog.=) s.signal_type) END'
      FROM outreach.bit_signal_types t;
$$;
COMMENT ON FUNCTION outreach._bit_divisor_sql() IS
    'Private: a CASE expression giving each signal''s seconds per half-life (outreach._bit_seconds_per_half_life of its type) from outreach.bit_signal_types, for the BIT refresh query (docs/reference/bit.md).';
