-- outreach.fn_evaluate_hub_statuses_range: fn_evaluate_hub_statuses(NULL) for
-- the companies with p_from <= company_unique_id < p_to only (a NULL bound is
-- open), so that disjoint ranges can be evaluated by concurrent sessions, one
-- core each (pyctl seed does). Not in the contract: an extension of the hub evaluation.
CREATE OR REPLACE FUNCTION outreach.fn_evaluate_hub_statuses_range(p_from text, p_to text)
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM outreach._check_company_range(p_from, p_to);
    RETURN outreach._evaluate_hub_statuses(NULL, NULL, p_from, p_to);
END
$$;
COMMENT ON FUNCTION outreach.fn_evaluate_hub_statuses_range(text, text) IS
    'fn_evaluate_hub_statuses(NULL) restricted to p_from <= company_unique_id < p_to (NULL bounds open); disjoint ranges may run in concurrent sessions. 22023 for a blank bound or an empty range.';
GRANT EXECUTE ON FUNCTION outreach.fn_evaluate_hub_statuses_range(text, text) TO outreach_hub_writer;
