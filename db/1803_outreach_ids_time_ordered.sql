-- A new outreach_id is a UUID version 7 (shq._uuid_v7): its first 48 bits are
-- the mint's time in milliseconds, so ids minted later sort later
-- (docs/reference/identity.md, "outreach_id"). Over twenty indexes lead with
-- outreach_id (the spine's, CL's binding, the Company Target's, each sub-hub
-- table's, the BIT signals' and scores', ...); a random id put each new company on
-- a random leaf page of every one of them, a time-ordered one puts it at their
-- right edge. Ids minted before keep their value.
-- The function's body is written by the repeatable pass of this same `pyctl
-- migrate` (functions/shq/_uuid_v7.sql); until then this placeholder, which
-- keeps the random id it is given, stands in for it. (Its SET clause goes
-- when it is replaced: the real one is inlined, which a SET clause prevents.)
-- depends: 1802_hub_status_without_hub_status_index
SET LOCAL search_path = pg_catalog, pg_temp;

CREATE OR REPLACE FUNCTION shq._uuid_v7(p_at timestamptz, p_random uuid)
RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS 'SELECT p_random';
REVOKE ALL ON FUNCTION shq._uuid_v7(timestamptz, uuid) FROM PUBLIC;

-- a catalog change only: no row is read or rewritten
ALTER TABLE outreach.outreach
    ALTER COLUMN outreach_id SET DEFAULT shq._uuid_v7(pg_catalog.clock_timestamp(), pg_catalog.gen_random_uuid());
