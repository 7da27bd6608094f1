-- outreach.fn_evaluate_hub_statuses: promote to PASS every hub whose gate now
-- passes, set-based over all companies (or one outreach_id) (docs/reference/hubs.md).
CREATE OR REPLACE FUNCTION outreach.fn_evaluate_hub_statuses(p_outreach_id uuid DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_company text;
BEGIN
    IF p_outreach_id IS NULL THEN
        RETURN outreach._evaluate_hub_statuses(NULL, NULL, NULL, NULL);
    END IF;
    -- serialise with outreach.fn_set_hub_status for this company
    SELECT o.company_unique_id INTO v_company
      FROM outreach.outreach o
     WHERE o.outreach_id = p_outreach_id
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'outreach_id % is not in the spine', p_outreach_id
            USING ERRCODE = 'OG002',
                  HINT = 'Pass an outreach_id of outreach.outreach, or NULL to evaluate every company.';
    END IF;
    RETURN outreach._evaluate_hub_statuses(p_outreach_id, v_company, NULL, NULL);
END
$$;
COMMENT ON FUNCTION outreach.fn_evaluate_hub_statuses(uuid) IS
    'Sets PASS for every hub whose promotion gate now passes (DONE, no blocking errors, prerequisites PASS), for all companies when NULL, set-based, prerequisites first; returns the rows changed. Never demotes. OG002 for an outreach_id not in the spine (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_evaluate_hub_statuses(uuid) TO outreach_hub_writer;
