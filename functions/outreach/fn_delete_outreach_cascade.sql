-- outreach.fn_delete_outreach_cascade: delete one spine record and everything
-- hanging off it in the 13-step cascade order (docs/reference/operations.md).
CREATE OR REPLACE FUNCTION outreach.fn_delete_outreach_cascade(
    p_outreach_id uuid,
    p_reason text,
    p_actor text)
RETURNS TABLE (step integer, table_name text, deleted bigint)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_company text;
    v_steps jsonb;
    v_extra jsonb;
    v_step integer[];
    v_table text[];
    v_deleted bigint[];
    v_listed boolean[];
BEGIN
    IF p_outreach_id IS NULL THEN
        RAISE EXCEPTION 'outreach_id must not be NULL'
            USING ERRCODE = '22023', HINT = 'Pass the outreach_id of the spine row to delete.';
    END IF;
    -- stored as the archive row's archive_reason and archived_by
    PERFORM shq._check_reason_actor('a cascade deletion', p_reason, p_actor);

    SELECT o.company_unique_id INTO v_company FROM outreach.outreach o WHERE o.outreach_id = p_outreach_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'outreach_id % is not in the spine (outreach.outreach)', p_outreach_id
            USING ERRCODE = 'P0002',
                  DETAIL = CASE WHEN EXISTS (SELECT 1 FROM outreach.outreach_archive a WHERE a.outreach_id = p_outreach_id)
                                THEN 'it was already archived in outreach.outreach_archive'
                                WHEN EXISTS (SELECT 1 FROM outreach.outreach_orphan_archive a WHERE a.outreach_id = p_outreach_id)
                                THEN 'it was already archived in outreach.outreach_orphan_archive'
                                ELSE 'no spine row or archive row has this id' END,
                  HINT = 'Nothing was deleted; check the id.';
    END IF;

    -- Same lock order as outreach.fn_mint_outreach_id (the CL row, then the
    -- spine row), so a concurrent mint cannot bind the id while it goes.
    PERFORM 1 FROM cl.company_identity ci WHERE ci.company_unique_id = v_company FOR UPDATE;
    PERFORM 1 FROM outreach.outreach o WHERE o.outreach_id = p_outreach_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'outreach_id % was deleted by a concurrent transaction', p_outreach_id
            USING ERRCODE = 'P0002', HINT = 'Nothing was deleted by this call.';
    END IF;

    IF EXISTS (SELECT 1 FROM cl.company_identity ci WHERE ci.outreach_id = p_outreach_id) THEN
        RAISE EXCEPTION 'outreach_id % is still bound by CL (company %)', p_outreach_id, v_company
            USING ERRCODE = 'OG009',
                  DETAIL = 'cl.company_identity.outreach_id is write-once and names this spine record',
                  HINT = 'Only spine records CL does not bind can be deleted; nothing was deleted.';
    END IF;

    SELECT array_agg(c.step ORDER BY c.ord), array_agg(c.table_name ORDER BY c.ord),
           array_agg(c.deleted ORDER BY c.ord), array_agg(c.listed ORDER BY c.ord)
      INTO v_step, v_table, v_deleted, v_listed
      FROM outreach._cascade_delete_spine_rows(ARRAY[p_outreach_id], 'outreach_archive', p_reason, p_actor)
           WITH ORDINALITY AS c(step, table_name, deleted, listed, ord);

    SELECT jsonb_agg(jsonb_build_object('step', s.step, 'table', s.table_name, 'deleted', s.deleted)
                     ORDER BY s.ord) FILTER (WHERE s.listed),
           jsonb_object_agg(s.table_name, s.deleted) FILTER (WHERE NOT s.listed)
      INTO v_steps, v_extra
      FROM unnest(v_step, v_table, v_deleted, v_listed) WITH ORDINALITY AS s(step, table_name, deleted, listed, ord);

    INSERT INTO shq.audit_log (event_type, actor, correlation_id, details)
    VALUES ('OUTREACH_CASCADE_DELETE', p_actor, p_outreach_id::text,
            jsonb_build_object('outreach_id', p_outreach_id, 'company_unique_id', v_company,
                               'reason', p_reason, 'archive', 'outreach.outreach_archive',
                               'session_user', session_user, 'steps', v_steps, 'also_deleted', v_extra));

    RETURN QUERY
        SELECT s.step, s.table_name, s.deleted
          FROM unnest(v_step, v_table, v_deleted, v_listed) WITH ORDINALITY AS s(step, table_name, deleted, listed, ord)
         WHERE s.listed
         ORDER BY s.ord;
END
$$;
COMMENT ON FUNCTION outreach.fn_delete_outreach_cascade(uuid, text, text) IS
    'Deletes one CL-unbound spine record in the 13-step cascade order (one row per step, 0 where nothing went), copies the spine row to outreach_archive (archive_reason, archived_by) and writes an OUTREACH_CASCADE_DELETE audit row. OG009 while CL binds the id; P0002 unknown id; 22023 blank reason/actor (docs/reference/operations.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_delete_outreach_cascade(uuid, text, text) TO outreach_governor;
