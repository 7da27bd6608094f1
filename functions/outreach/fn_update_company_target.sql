-- outreach.fn_update_company_target: record the Company Target's execution
-- results (docs/reference/hubs.md); p_completed stamps imo_completed_at.
CREATE OR REPLACE FUNCTION outreach.fn_update_company_target(
    p_target_id text,
    p_execution_status text,
    p_email_method text,
    p_email_pattern text,
    p_confidence_score numeric,
    p_completed boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM outreach._check_target_id(p_target_id);
    IF p_execution_status IS NULL OR p_execution_status NOT IN ('pending', 'ready', 'failed') THEN
        RAISE EXCEPTION 'invalid execution_status: %', coalesce(p_execution_status, 'NULL')
            USING ERRCODE = '22023', HINT = 'Use pending, ready or failed.';
    END IF;
    IF p_confidence_score < 0 THEN
        RAISE EXCEPTION 'invalid confidence_score: %', p_confidence_score
            USING ERRCODE = '22023', HINT = 'confidence_score is NULL or >= 0.';
    END IF;

    UPDATE outreach.company_target t
       SET execution_status = p_execution_status,
           email_method = p_email_method,
           email_pattern = p_email_pattern,
           confidence_score = p_confidence_score,
           imo_completed_at = CASE WHEN p_completed THEN now() ELSE t.imo_completed_at END,
           updated_at = now()
     WHERE t.target_id = p_target_id;
    IF NOT FOUND THEN
        PERFORM outreach._raise_unknown_target(p_target_id);
    END IF;
END
$$;
COMMENT ON FUNCTION outreach.fn_update_company_target(text, text, text, text, numeric, boolean) IS
    'Sets execution_status, email_method, email_pattern, confidence_score; p_completed stamps imo_completed_at (false leaves it as it is). 22023 blank target or bad status/score, OG002 unknown target (docs/reference/hubs.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_update_company_target(text, text, text, text, numeric, boolean) TO outreach_hub_writer;
