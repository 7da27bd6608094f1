-- shq.fn_run_smoke_test: end-to-end check of the live pipeline on a few random
-- companies (docs/reference/operations.md).
CREATE OR REPLACE FUNCTION shq.fn_run_smoke_test(p_sample_size integer DEFAULT 5)
RETURNS TABLE (company_unique_id text, completion_status text, effective_tier integer,
               is_eligible boolean, block_reason text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- 1. picks p_sample_size random spine companies (fewer when fewer exist);
-- 2. reads each one's completion (vw_sovereign_completion) and effective tier
--    (vw_marketing_eligibility_with_overrides, THE authoritative source);
-- 3. runs the safety gate as a dry run against the SMOKE-TEST campaign
--    (migration 0601: EMAIL, min_tier 1); each call writes its own dry-run
--    send_attempt_audit row, which can never clear a send;
-- 4. writes one SMOKE_TEST row to shq.audit_log with every verdict.
DECLARE
    v_correlation text := 'SMOKE-' || gen_random_uuid()::text;
    v_results jsonb := '[]'::jsonb;
    v_cid text;
BEGIN
    IF p_sample_size IS NULL OR p_sample_size < 1 OR p_sample_size > 1000 THEN
        RAISE EXCEPTION 'sample size must be between 1 and 1000 (got %)', coalesce(p_sample_size::text, 'NULL')
            USING ERRCODE = '22023', HINT = 'The smoke test checks a handful of companies; 5 is the default.';
    END IF;

    -- one company at a time: a lookup by company_unique_id reaches the
    -- views' indexes, where a join with the sample would scan them whole
    FOR v_cid IN
        SELECT x.cid
          FROM (SELECT o.company_unique_id AS cid
                  FROM outreach.outreach o
                 ORDER BY random()
                 LIMIT p_sample_size) AS x
         ORDER BY x.cid
    LOOP
        company_unique_id := v_cid;
        SELECT c.completion_status INTO completion_status
          FROM outreach.vw_sovereign_completion c WHERE c.company_unique_id = v_cid;
        SELECT e.effective_tier INTO effective_tier
          FROM outreach.vw_marketing_eligibility_with_overrides e WHERE e.company_unique_id = v_cid;
        SELECT g.is_eligible, g.block_reason INTO is_eligible, block_reason
          FROM outreach.fn_safety_gate_check(v_cid, 'SMOKE-TEST', v_correlation, 'EMAIL', true) AS g;
        v_results := v_results || jsonb_build_object(
            'company_unique_id', v_cid, 'completion_status', completion_status, 'effective_tier', effective_tier,
            'is_eligible', is_eligible, 'block_reason', block_reason);
        RETURN NEXT;
    END LOOP;

    INSERT INTO shq.audit_log (event_type, correlation_id, details)
    VALUES ('SMOKE_TEST', v_correlation,
            jsonb_build_object('sample_size', p_sample_size,
                               'checked', jsonb_array_length(v_results),
                               'eligible', (SELECT count(*) FROM jsonb_array_elements(v_results) x
                                             WHERE (x ->> 'is_eligible')::boolean),
                               'campaign_id', 'SMOKE-TEST',
                               'dry_run', true,
                               'results', v_results));
END
$$;
COMMENT ON FUNCTION shq.fn_run_smoke_test(integer) IS
    'Smoke test: p_sample_size (1..1000, default 5) random spine companies, their completion status and effective tier from the authoritative views, a dry-run safety-gate verdict against the SMOKE-TEST campaign; writes one SMOKE_TEST shq.audit_log row (docs/reference/operations.md).';
GRANT EXECUTE ON FUNCTION shq.fn_run_smoke_test(integer) TO outreach_governor;
