-- shq.fn_check_bit_done: the bit-engine hub's DONE check (docs/reference/hubs.md): the
-- company has a refreshed score (outreach.bit_scores) from at least one signal.
CREATE OR REPLACE FUNCTION shq.fn_check_bit_done(p_outreach_id uuid)
RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $$
    SELECT EXISTS (SELECT 1
                     FROM outreach.bit_scores bs
                    WHERE bs.outreach_id = p_outreach_id
                      AND bs.score IS NOT NULL
                      AND bs.signal_count > 0);
$$;
COMMENT ON FUNCTION shq.fn_check_bit_done(uuid) IS
    'DONE checker of the bit-engine hub: outreach.bit_scores holds a score with signal_count > 0 for the id; false for an unknown or NULL id, never raises (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION shq.fn_check_bit_done(uuid) TO outreach_governor, outreach_hub_writer;
