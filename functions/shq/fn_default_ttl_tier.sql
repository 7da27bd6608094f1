-- shq.fn_default_ttl_tier: the TTL tier a failure code gets when the caller names none
-- (docs/reference/governance.md): RATE_LIMIT, TIMEOUT -> SHORT; VALIDATION_ERROR, MISSING_DATA -> MEDIUM; else LONG.
CREATE OR REPLACE FUNCTION shq.fn_default_ttl_tier(p_failure_code text)
RETURNS shq.ttl_tier
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE upper(btrim(p_failure_code))
               WHEN 'RATE_LIMIT' THEN 'SHORT'::shq.ttl_tier
               WHEN 'TIMEOUT' THEN 'SHORT'::shq.ttl_tier
               WHEN 'VALIDATION_ERROR' THEN 'MEDIUM'::shq.ttl_tier
               WHEN 'MISSING_DATA' THEN 'MEDIUM'::shq.ttl_tier
               ELSE 'LONG'::shq.ttl_tier
           END;
$$;
COMMENT ON FUNCTION shq.fn_default_ttl_tier(text) IS
    'Default TTL tier of a failure code: RATE_LIMIT/TIMEOUT SHORT, VALIDATION_ERROR/MISSING_DATA MEDIUM, anything else LONG (docs/reference/governance.md).';
GRANT EXECUTE ON FUNCTION shq.fn_default_ttl_tier(text) TO outreach_governor, outreach_hub_writer, outreach_reader;
