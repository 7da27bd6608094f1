-- outreach.fn_rebuild_company_eligibility: the sanctioned writer of outreach.company_eligibility
-- (docs/maintained-eligibility.md): recompute the rows of the listed companies, or of every one.
CREATE OR REPLACE FUNCTION outreach.fn_rebuild_company_eligibility(p_company_unique_ids text[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
-- planned once per session: planning the from-scratch joins costs more than
-- running them for a few companies (each is a handful of index probes)
SET plan_cache_mode = force_generic_plan
-- everything: hash joins of every input, no spill to disk, no JIT compile
SET work_mem = '128MB'
SET jit = off
AS $$
DECLARE
    v_prev_sanction text;
    v_ids text[];
    v_changed integer := 0;
    v_n integer;
BEGIN
    IF p_company_unique_ids IS NOT NULL THEN
        SELECT array_agg(DISTINCT x.id ORDER BY x.id) INTO v_ids
          FROM unnest(p_company_unique_ids) AS x(id)
         WHERE x.id IS NOT NULL;
        IF v_ids IS NULL THEN
            RETURN 0;  -- an empty list rebuilds nothing (NULL means all)
        END IF;
    END IF;
    v_prev_sanction := shq.fn_sanction_add('outreach.company_eligibility');

    -- Lock first, compute after. Two writers changing different inputs of one
    -- company each recompute its row; under READ COMMITTED the recomputation
    -- must see the other's committed change, so each first takes the row's
    -- lock (the second waits until the first commits) and only then, in a
    -- statement with a newer snapshot, reads the inputs.
    IF v_ids IS NULL THEN
        -- everything: excludes every other writer of the table (readers never wait)
        LOCK TABLE outreach.company_eligibility IN SHARE ROW EXCLUSIVE MODE;
        IF NOT EXISTS (SELECT 1 FROM outreach.company_eligibility) THEN
            -- the first fill (a new or freshly loaded database): no row to compare
            INSERT INTO outreach.company_eligibility
            SELECT s.* FROM outreach.fn_company_eligibility_from_scratch(NULL) s;
            GET DIAGNOSTICS v_changed = ROW_COUNT;
            v_prev_sanction := shq.fn_sanction(v_prev_sanction);  -- put back
            RETURN v_changed;
        END IF;
        -- the rows that differ, through the one home of the upsert's column
        -- list (its range branch with open bounds: the view's joins, each
        -- input read once); then the rows of companies that left the spine
        v_changed := outreach._upsert_company_eligibility(NULL, NULL, NULL);
        DELETE FROM outreach.company_eligibility e
         WHERE NOT EXISTS (SELECT 1 FROM outreach.outreach o WHERE o.company_unique_id = e.company_unique_id);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_changed := v_changed + v_n;
    ELSE
        PERFORM 1 FROM outreach.company_eligibility e
          WHERE e.company_unique_id = ANY (v_ids)
          ORDER BY e.company_unique_id
            FOR NO KEY UPDATE;
        v_changed := outreach._upsert_company_eligibility(v_ids, NULL, NULL);
        -- companies that left the spine
        DELETE FROM outreach.company_eligibility e
         WHERE e.company_unique_id = ANY (v_ids)
           AND NOT EXISTS (SELECT 1 FROM outreach.outreach o WHERE o.company_unique_id = e.company_unique_id);
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_changed := v_changed + v_n;
    END IF;

    v_prev_sanction := shq.fn_sanction(v_prev_sanction);  -- put back
    RETURN v_changed;
END
$$;
COMMENT ON FUNCTION outreach.fn_rebuild_company_eligibility(text[]) IS
    'Sanctioned writer of outreach.company_eligibility: makes the rows of the listed companies (or of every company, NULL) equal to outreach.fn_company_eligibility_from_scratch, inserting, updating and deleting only what differs; returns the rows changed (0: no drift). Locks the rows (all: the table) before it reads the inputs, so a concurrent writer''s committed change is never missed. Called by the input tables'' triggers and by pyctl migrate.';
