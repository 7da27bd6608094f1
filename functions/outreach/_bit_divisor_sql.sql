-- outreach._bit_divisor_sql: private; the seconds-per-half-life of a signal as a SQL
-- expression (SPEC §4): a CASE over the current signal types, so the hot query joins nothing.
CREATE OR REPLACE FUNCTION outreach._bit_divisor_sql()
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- Each branch is the type's 86400 * half_life_days as an exact numeric
    -- literal cast to float8: the same double as (86400 * t.half_life_days)::float8
    -- read through a join, so every BIT function gets bit-identical factors.
    -- A type created after this text was built falls to the ELSE lookup.
    SELECT 'CASE s.signal_type '
           || coalesce(string_agg(format('WHEN %L THEN %s', t.signal_type,
                                         CASE WHEN t.half_life_days IS NULL THEN $q$'Infinity'::float8$q$
                                              ELSE format('%s::numeric::float8', 86400 * t.half_life_days) END),
                                  ' ' ORDER BY t.signal_type),
                       $q$WHEN NULL THEN 'Infinity'::float8$q$)
           || $q$ ELSE (SELECT coalesce((86400 OPERATOR(pg_catalog.*) t.half_life_days)::float8, 'Infinity'::float8)$q$
           || $q$ FROM outreach.bit_signal_types t WHERE t.signal_type OPERATOR(pg_catalog.=) s.signal_type) END$q$
      FROM outreach.bit_signal_types t;
$$;
COMMENT ON FUNCTION outreach._bit_divisor_sql() IS
    'Private: a CASE expression giving each signal''s seconds per half-life (''Infinity'' for no decay) from outreach.bit_signal_types, for the BIT refresh query (SPEC §4).';
