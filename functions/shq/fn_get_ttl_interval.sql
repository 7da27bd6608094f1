-- shq.fn_get_ttl_interval: how long a governed error lives before TTL archiving
-- (docs/reference/governance.md): SHORT 7 days, MEDIUM 30, LONG 90, INFINITE never (NULL).
CREATE OR REPLACE FUNCTION shq.fn_get_ttl_interval(p_ttl_tier shq.ttl_tier)
RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE p_ttl_tier
               WHEN 'SHORT' THEN interval '7 days'
               WHEN 'MEDIUM' THEN interval '30 days'
               WHEN 'LONG' THEN interval '90 days'
           END;
$$;
COMMENT ON FUNCTION shq.fn_get_ttl_interval(shq.ttl_tier) IS
    'TTL of a governed error by tier: SHORT 7 days, MEDIUM 30, LONG 90, INFINITE NULL (never expires) (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_get_ttl_interval(shq.ttl_tier)
    TO outreach_governor, outreach_hub_writer, outreach_reader;
