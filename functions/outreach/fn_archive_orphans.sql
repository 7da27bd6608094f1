-- outreach.fn_archive_orphans: move every spine row that CL does not bind, with
-- its cascade, to outreach.outreach_orphan_archive (docs/reference/operations.md).
CREATE OR REPLACE FUNCTION outreach.fn_archive_orphans(p_actor text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_ids uuid[];
    v_archived bigint := 0::bigint;
    v_steps jsonb;
BEGIN
    IF shq.fn_is_blank(p_actor) THEN
        RAISE EXCEPTION 'archiving orphans needs an actor (got %)', coalesce(quote_literal(p_actor), 'NULL')
            USING ERRCODE = '22023', HINT = 'Name who runs it; it is stored as archived_by.';
    END IF;

    -- An orphan is a spine row whose id CL does not bind. Lock it together
    -- with its company's CL row (the lock order of fn_mint_outreach_id): a
    -- concurrent mint that binds it first makes it no orphan any more, since
    -- the row is re-checked after the wait.
    SELECT coalesce(array_agg(o.outreach_id ORDER BY o.outreach_id), '{}') INTO v_ids
      FROM (SELECT o.outreach_id
              FROM cl.company_identity ci
              JOIN outreach.outreach o ON o.company_unique_id = ci.company_unique_id
             WHERE ci.outreach_id IS DISTINCT FROM o.outreach_id
               AND NOT EXISTS (SELECT 1 FROM cl.company_identity b WHERE b.outreach_id = o.outreach_id)
               FOR UPDATE OF ci, o) AS o;

    IF cardinality(v_ids) > 0 THEN
        SELECT jsonb_object_agg(c.table_name, c.deleted), max(c.deleted) FILTER (WHERE c.table_name = 'outreach.outreach')
          INTO v_steps, v_archived
          FROM outreach._cascade_delete_spine_rows(v_ids, 'outreach_orphan_archive',
                                                   'ORPHAN: spine row not bound by CL', p_actor) AS c;
    END IF;

    INSERT INTO shq.audit_log (event_type, actor, details)
    VALUES ('OUTREACH_ORPHANS_ARCHIVED', p_actor,
            jsonb_build_object('archived', v_archived, 'archive', 'outreach.outreach_orphan_archive',
                               'session_user', session_user, 'deleted', coalesce(v_steps, '{}'::jsonb),
                               'outreach_ids', (SELECT coalesce(jsonb_agg(x), '[]'::jsonb)
                                                  FROM unnest(v_ids[1:1000]) AS x)));
    RETURN v_archived;
END
$$;
COMMENT ON FUNCTION outreach.fn_archive_orphans(text) IS
    'Moves every spine row CL does not bind (with its sub-hub rows, in the cascade order) to outreach_orphan_archive; returns how many spine rows moved; writes one OUTREACH_ORPHANS_ARCHIVED audit row (docs/reference/operations.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_archive_orphans(text) TO outreach_governor;
