-- outreach._cascade_delete_spine_rows: the 13-step cascade (docs/reference/operations.md) for a
-- set of spine rows (docs/reference/operations.md). Private: only the two definer functions call it.
CREATE OR REPLACE FUNCTION outreach._cascade_delete_spine_rows(
    p_outreach_ids uuid[],
    p_archive text,
    p_reason text,
    p_actor text)
RETURNS TABLE (step integer, table_name text, deleted bigint, listed boolean)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp
AS $$
-- The caller has locked the spine rows and checked that CL binds none of them.
-- Listed steps (listed = true) are the 13 of the cascade, in that order; the
-- other tables that hang off the spine are emptied right before the step
-- whose table they reference (listed = false), so no foreign key ever fails:
--   engagement_events  before send_log        (step 1)
--   blog_signals       before blog            (step 7)
--   dol_filings        with dol               (step 11)
--   talent_flow        before company_target  (step 12)
--   company_hub_status before the spine       (step 13)
-- campaigns and sequences are shared definitions that reference no company:
-- steps 2 and 3 delete nothing. Audit trails (send_attempt_audit,
-- override_audit_log, shq.audit_log) and governed error rows keep their rows:
-- they carry the ids as plain data.
DECLARE
    v_cids text[];
    v_n bigint;
BEGIN
    IF p_archive IS NULL OR p_archive NOT IN ('outreach_archive', 'outreach_orphan_archive') THEN
        RAISE EXCEPTION 'unknown spine archive %', coalesce(p_archive, 'NULL')
            USING ERRCODE = '22023', HINT = 'Use outreach_archive or outreach_orphan_archive.';
    END IF;
    SELECT coalesce(array_agg(o.company_unique_id), '{}') INTO v_cids
      FROM outreach.outreach o
     WHERE o.outreach_id = ANY (p_outreach_ids);

    -- sovereign and append-only tables accept these deletes from the owner
    -- only while this marker is set (shq.tg_sovereign_guard, shq.tg_append_only)
    PERFORM shq.fn_sanction('outreach.fn_delete_outreach_cascade');

    -- 1. send_log (its engagement events first)
    DELETE FROM outreach.engagement_events e
     USING outreach.send_log s, unnest(p_outreach_ids) AS x(id)
     WHERE s.outreach_id = x.id AND e.send_id = s.send_id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 1, 'outreach.engagement_events'::text, v_n, false;
    DELETE FROM outreach.send_log s USING unnest(p_outreach_ids) AS x(id) WHERE s.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 1, 'outreach.send_log'::text, v_n, true;

    -- 2., 3. shared campaign definitions: nothing belongs to one company
    RETURN QUERY SELECT 2, 'outreach.sequences'::text, 0::bigint, true;
    RETURN QUERY SELECT 3, 'outreach.campaigns'::text, 0::bigint, true;

    -- 4. manual_overrides (every row of the company, removed ones included)
    DELETE FROM outreach.manual_overrides m USING unnest(v_cids) AS c(id) WHERE m.company_unique_id = c.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 4, 'outreach.manual_overrides'::text, v_n, true;

    -- 5. bit_signals
    DELETE FROM outreach.bit_signals b USING unnest(p_outreach_ids) AS x(id) WHERE b.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 5, 'outreach.bit_signals'::text, v_n, true;

    -- 6. bit_scores
    DELETE FROM outreach.bit_scores b USING unnest(p_outreach_ids) AS x(id) WHERE b.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 6, 'outreach.bit_scores'::text, v_n, true;

    -- 7. blog (its signals first)
    DELETE FROM outreach.blog_signals b USING unnest(p_outreach_ids) AS x(id) WHERE b.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 7, 'outreach.blog_signals'::text, v_n, false;
    DELETE FROM outreach.blog b USING unnest(p_outreach_ids) AS x(id) WHERE b.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 7, 'outreach.blog'::text, v_n, true;

    -- 8. people.people_master
    DELETE FROM people.people_master p USING unnest(p_outreach_ids) AS x(id) WHERE p.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 8, 'people.people_master'::text, v_n, true;

    -- 9. people.company_slot
    DELETE FROM people.company_slot p USING unnest(p_outreach_ids) AS x(id) WHERE p.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 9, 'people.company_slot'::text, v_n, true;

    -- 10. outreach.people
    DELETE FROM outreach.people p USING unnest(p_outreach_ids) AS x(id) WHERE p.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 10, 'outreach.people'::text, v_n, true;

    -- 11. dol (its filings first)
    DELETE FROM outreach.dol_filings d USING unnest(p_outreach_ids) AS x(id) WHERE d.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 11, 'outreach.dol_filings'::text, v_n, false;
    DELETE FROM outreach.dol d USING unnest(p_outreach_ids) AS x(id) WHERE d.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 11, 'outreach.dol'::text, v_n, true;

    -- 12. company_target (talent_flow, the last sub-hub attached to it, first)
    DELETE FROM outreach.talent_flow t USING unnest(p_outreach_ids) AS x(id) WHERE t.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 12, 'outreach.talent_flow'::text, v_n, false;
    DELETE FROM outreach.company_target t USING unnest(p_outreach_ids) AS x(id) WHERE t.outreach_id = x.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 12, 'outreach.company_target'::text, v_n, true;

    -- 13. the spine, last, copied to its archive (hub statuses reference it)
    DELETE FROM outreach.company_hub_status h USING unnest(v_cids) AS c(id) WHERE h.company_unique_id = c.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 13, 'outreach.company_hub_status'::text, v_n, false;
    IF p_archive = 'outreach_archive' THEN
        WITH d AS (
            DELETE FROM outreach.outreach o USING unnest(p_outreach_ids) AS x(id)
             WHERE o.outreach_id = x.id
            RETURNING o.outreach_id, o.company_unique_id, o.created_at)
        INSERT INTO outreach.outreach_archive (outreach_id, company_unique_id, created_at, archive_reason, archived_by)
        SELECT d.outreach_id, d.company_unique_id, d.created_at, p_reason, p_actor FROM d;
    ELSE
        WITH d AS (
            DELETE FROM outreach.outreach o USING unnest(p_outreach_ids) AS x(id)
             WHERE o.outreach_id = x.id
            RETURNING o.outreach_id, o.company_unique_id, o.created_at)
        INSERT INTO outreach.outreach_orphan_archive (outreach_id, company_unique_id, created_at, archive_reason, archived_by)
        SELECT d.outreach_id, d.company_unique_id, d.created_at, p_reason, p_actor FROM d;
    END IF;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 13, 'outreach.outreach'::text, v_n, true;

    PERFORM shq.fn_sanction('');
END
$$;
COMMENT ON FUNCTION outreach._cascade_delete_spine_rows(uuid[], text, text, text) IS
    'Internal (no grants): the 13-step cascade for locked, CL-unbound spine rows; the spine rows go to the named archive. Called by fn_delete_outreach_cascade and fn_archive_orphans (docs/reference/operations.md).';
