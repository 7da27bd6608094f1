-- outreach.fn_rebuild_company_eligibility_range: fn_rebuild_company_eligibility(NULL) for the companies
-- with p_from <= company_unique_id < p_to only (NULL bounds open), so that disjoint ranges can be rebuilt by concurrent sessions.
CREATE OR REPLACE FUNCTION outreach.fn_rebuild_company_eligibility_range(p_from text, p_to text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
-- a range is a large share of the table: hash joins of every input, no
-- spill to disk, no JIT compile (as the whole-table rebuild)
SET work_mem = '128MB'
SET jit = off
AS $$
DECLARE
    v_prev_sanction text;
    v_changed integer := 0;
    v_n integer;
BEGIN
    PERFORM outreach._check_company_range(p_from, p_to);
    v_prev_sanction := shq.fn_sanction_add('outreach.company_eligibility');

    -- Lock first, compute after (as fn_rebuild_company_eligibility with a
    -- list): the range's rows are locked, so a concurrent writer of one of
    -- them waits for us or we for it, and the statements below, with a newer
    -- snapshot, read its committed change. A table lock would exclude the
    -- concurrent session of the next range too.
    PERFORM 1 FROM outreach.company_eligibility e
      WHERE (p_from IS NULL OR e.company_unique_id >= p_from)
        AND (p_to IS NULL OR e.company_unique_id < p_to)
      ORDER BY e.company_unique_id
        FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        -- the first fill of the range (a freshly loaded one): no row to
        -- compare, a plain insert. A concurrent first writer of one of its
        -- companies makes it fail with 23505 (nothing written): call it again.
        -- The from-scratch view itself, not through the set-returning
        -- function the upsert reads (that one keeps the upsert's plan
        -- small, but materialises the range's rows before the insert),
        -- in the primary key's order (byte order: no sort through the
        -- locale), so that the key is written page after page.
        INSERT INTO outreach.company_eligibility
        SELECT s.* FROM outreach._company_eligibility_from_scratch s
         WHERE (p_from IS NULL OR s.company_unique_id >= p_from)
           AND (p_to IS NULL OR s.company_unique_id < p_to)
         ORDER BY s.company_unique_id COLLATE "C";
        GET DIAGNOSTICS v_changed = ROW_COUNT;
    ELSE
        v_changed := outreach._upsert_company_eligibility(NULL, p_from, p_to);
        -- companies of the range that left the spine
        DELETE FROM outreach.company_eligibility e
         WHERE (p_from IS NULL OR e.company_unique_id >= p_from)
           AND (p_to IS NULL OR e.company_unique_id < p_to)
           AND NOT EXISTS (SELECT 1 FROM outreach.outreach o WHERE o.company_unique_id = e.company_unique_id);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_changed := v_changed + v_n;
    END IF;

    v_prev_sanction := shq.fn_sanction(v_prev_sanction);  -- put back
    RETURN v_changed;
END
$$;
COMMENT ON FUNCTION outreach.fn_rebuild_company_eligibility_range(text, text) IS
    'outreach.fn_rebuild_company_eligibility(NULL) restricted to p_from <= company_unique_id < p_to (NULL bounds open): the same rows, inserting, updating and deleting only what differs in the range; returns the rows changed. Locks the range''s rows (not the table), so disjoint ranges may run in concurrent sessions (pyctl seed does). 22023 for a blank bound or an empty range.';
