-- shq._ttl_cutoff_case: a SQL CASE giving, for a row's ttl_tier, the created_at before which it has
-- expired (docs/reference/governance.md). Private helper: the cutoffs come from shq.fn_get_ttl_interval at p_as_of.
CREATE OR REPLACE FUNCTION shq._ttl_cutoff_case(p_column text, p_as_of timestamptz)
RETURNS text
LANGUAGE sql STABLE STRICT SET search_path = pg_catalog, pg_temp
-- the literals must parse back exactly in the caller's session, whatever its DateStyle
SET datestyle = 'ISO, YMD'
SET timezone = 'UTC'
AS $$
    -- INFINITE (a NULL interval) has no WHEN: the CASE yields NULL, and
    -- "created_at < NULL" never holds, so INFINITE rows never expire.
    SELECT coalesce('CASE ' || p_column || ' '
                    || string_agg(format('WHEN %L::shq.ttl_tier THEN %L::timestamptz',
                                         t.tier, p_as_of - shq.fn_get_ttl_interval(t.tier)), ' '
                                  ORDER BY t.tier)
                         FILTER (WHERE shq.fn_get_ttl_interval(t.tier) IS NOT NULL)
                    || ' END',
                    'NULL::timestamptz')
      FROM unnest(enum_range(NULL::shq.ttl_tier)) AS t(tier);
$$;
COMMENT ON FUNCTION shq._ttl_cutoff_case(text, timestamptz) IS
    'Private: CASE expression mapping a ttl_tier column to its expiry cutoff at p_as_of (NULL for INFINITE), for TTL archiving (docs/reference/governance.md).';
