-- shq._uuid_v7: a time-ordered UUID (RFC 9562 version 7): the first 48 bits are p_at in Unix
-- milliseconds, then the version (7), 12 bits of p_random, the variant (10) and 62 more bits of it.
-- Ids made later sort later, so an index that leads with such an id takes each new one at its
-- right edge instead of on a random leaf page (docs/reference/identity.md, "outreach_id").
-- Inlinable: no SET clause (not even search_path: it would stop the planner from inlining it
-- into the spine's column default and the seed's load); every name is schema-qualified.
CREATE OR REPLACE FUNCTION shq._uuid_v7(p_at timestamptz, p_random uuid)
RETURNS uuid
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.encode(
               pg_catalog.set_bit(pg_catalog.set_bit(                                     -- variant 10
                   pg_catalog.set_bit(pg_catalog.set_bit(pg_catalog.set_bit(pg_catalog.set_bit(  -- version 0111
                       pg_catalog.overlay(pg_catalog.uuid_send(p_random),
                                          pg_catalog.substr(pg_catalog.int8send(pg_catalog.floor(
                                              pg_catalog.date_part('epoch', p_at) OPERATOR(pg_catalog.*) 1000)::pg_catalog.int8), 3),
                                          1, 6),
                       52, 1), 53, 1), 54, 1), 55, 0),
                   70, 0), 71, 1),
               'hex')::pg_catalog.uuid;
$$;
COMMENT ON FUNCTION shq._uuid_v7(timestamptz, uuid) IS
    'Internal: a UUID version 7 (RFC 9562) whose first 48 bits are p_at in Unix milliseconds and whose other bits, version and variant aside, are p_random''s; ids made later sort later (docs/reference/identity.md). Inlinable.';
