-- outreach.fn_set_hub_status: the sanctioned writer of outreach.company_hub_status
-- (docs/reference/hubs.md): PASS is a promotion and raises OG007 while the hub's gate fails.
CREATE OR REPLACE FUNCTION outreach.fn_set_hub_status(
    p_company_unique_id text,
    p_hub_id text,
    p_status text,
    p_reason text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_outreach_id uuid;
    v_blockers text;
BEGIN
    IF shq.fn_is_blank(p_company_unique_id) THEN
        RAISE EXCEPTION 'company_unique_id must not be NULL or blank'
            USING ERRCODE = 'OG001', HINT = 'Pass the company_unique_id CL issued.';
    END IF;
    IF p_hub_id IS NULL OR NOT EXISTS (SELECT 1 FROM outreach.hub_registry hr WHERE hr.hub_id = p_hub_id) THEN
        RAISE EXCEPTION 'unknown hub_id: %', coalesce(p_hub_id, 'NULL')
            USING ERRCODE = '22023',
                  HINT = 'Use a hub_id of outreach.hub_registry: '
                         || (SELECT string_agg(hr.hub_id, ', ' ORDER BY hr.display_order) FROM outreach.hub_registry hr) || '.';
    END IF;
    IF p_status IS NULL OR p_status NOT IN ('PASS', 'IN_PROGRESS', 'FAIL', 'BLOCKED') THEN
        RAISE EXCEPTION 'invalid hub status: %', coalesce(p_status, 'NULL')
            USING ERRCODE = '22023', HINT = 'Use PASS, IN_PROGRESS, FAIL or BLOCKED.';
    END IF;

    -- One status writer per company at a time (NO KEY UPDATE does not block
    -- inserts that merely reference the spine row).
    SELECT o.outreach_id INTO v_outreach_id
      FROM outreach.outreach o
     WHERE o.company_unique_id = p_company_unique_id
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM cl.company_identity ci WHERE ci.company_unique_id = p_company_unique_id) THEN
            RAISE EXCEPTION 'company % has no outreach record', p_company_unique_id
                USING ERRCODE = 'OG002',
                      HINT = 'Create its Company Target first (outreach.fn_create_company_target).';
        END IF;
        RAISE EXCEPTION 'company % is not in cl.company_identity', p_company_unique_id
            USING ERRCODE = 'OG002', HINT = 'Register the company with CL first; Outreach never fabricates identity.';
    END IF;

    IF p_status = 'PASS' AND NOT shq.fn_can_promote_to_hub(v_outreach_id, p_hub_id) THEN
        SELECT string_agg(b.blocker_type || ': ' || b.detail, '; ' ORDER BY b.blocker_type, b.detail)
          INTO v_blockers
          FROM shq.fn_get_promotion_blockers(v_outreach_id) b
         WHERE b.hub_id = p_hub_id;
        RAISE EXCEPTION 'hub % of company % cannot be promoted to PASS', p_hub_id, p_company_unique_id
            USING ERRCODE = 'OG007',
                  DETAIL = format('outreach_id %s; blockers: %s', v_outreach_id, coalesce(v_blockers, 'none listed')),
                  HINT = 'Clear the blockers first: ' || coalesce(v_blockers, 'see shq.fn_get_promotion_blockers') || '.';
    END IF;

    PERFORM shq.fn_sanction('outreach.company_hub_status');
    -- An UPDATE first, an INSERT only for a new row: an upsert
    -- (INSERT ... ON CONFLICT DO UPDATE) fires the table's INSERT statement
    -- triggers and its UPDATE ones every time, so a change of an existing
    -- row (the usual case) would also run every INSERT trigger, on no rows.
    -- A row another writer inserts between the two makes the INSERT do
    -- nothing, and the loop updates it.
    LOOP
        UPDATE outreach.company_hub_status s
           SET status = p_status, status_reason = p_reason, updated_at = now()
         WHERE s.company_unique_id = p_company_unique_id AND s.hub_id = p_hub_id;
        EXIT WHEN FOUND;
        INSERT INTO outreach.company_hub_status (company_unique_id, hub_id, status, status_reason, updated_at)
        VALUES (p_company_unique_id, p_hub_id, p_status, p_reason, now())
        ON CONFLICT (company_unique_id, hub_id) DO NOTHING;
        EXIT WHEN FOUND;
    END LOOP;
    PERFORM shq.fn_sanction('');
END
$$;
COMMENT ON FUNCTION outreach.fn_set_hub_status(text, text, text, text) IS
    'Sanctioned writer of company_hub_status (upsert). PASS is a promotion: OG007 while shq.fn_can_promote_to_hub is false (HINT lists the blockers). OG001 blank id, OG002 unknown company, 22023 unknown hub or status (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_set_hub_status(text, text, text, text) TO outreach_hub_writer;
