-- outreach.fn_create_company_target: the company's Company Target, created once
-- with IN_PROGRESS hub rows for every required hub (docs/reference/hubs.md).
CREATE OR REPLACE FUNCTION outreach.fn_create_company_target(p_company_unique_id text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_outreach_id uuid;
    v_target_id text;
BEGIN
    -- OG001 blank, OG002 not in CL, OG003 conflicting binding; locks the CL row,
    -- so concurrent callers for one company queue here.
    v_outreach_id := outreach.fn_mint_outreach_id(p_company_unique_id);

    SELECT t.target_id INTO v_target_id
      FROM outreach.company_target t
     WHERE t.outreach_id = v_outreach_id;
    IF NOT FOUND THEN
        -- n comes from a sequence: unique even when two companies share the 8-character prefix
        INSERT INTO outreach.company_target AS t (target_id, outreach_id, company_unique_id)
        VALUES ('TGT-' || left(p_company_unique_id, 8) || '-' || nextval('outreach.company_target_seq'),
                v_outreach_id, p_company_unique_id)
        ON CONFLICT (outreach_id) DO NOTHING
        RETURNING t.target_id INTO v_target_id;
        IF v_target_id IS NULL THEN
            SELECT t.target_id INTO STRICT v_target_id
              FROM outreach.company_target t
             WHERE t.outreach_id = v_outreach_id;
        END IF;
    END IF;

    -- Required hubs start IN_PROGRESS (idempotent: existing rows keep their status).
    PERFORM shq.fn_sanction('outreach.company_hub_status');
    INSERT INTO outreach.company_hub_status (company_unique_id, hub_id, status, status_reason)
    SELECT p_company_unique_id, hr.hub_id, 'IN_PROGRESS', 'created with Company Target ' || v_target_id
      FROM outreach.hub_registry hr
     WHERE hr.is_required
    ON CONFLICT (company_unique_id, hub_id) DO NOTHING;
    PERFORM shq.fn_sanction('');

    RETURN v_target_id;
END
$$;
COMMENT ON FUNCTION outreach.fn_create_company_target(text) IS
    'Mints the outreach_id if needed and creates the Company Target TGT-<first 8 chars>-<n> (idempotent: returns the existing target_id), with IN_PROGRESS company_hub_status rows for every required hub. OG001 blank, OG002 unknown company (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_create_company_target(text) TO outreach_hub_writer;
