-- outreach.tg_bit_scores__after_update_eligibility(): copies refreshed BIT scores into
-- outreach.company_eligibility (docs/maintained-eligibility.md), one statement per refresh.
CREATE OR REPLACE FUNCTION outreach.tg_bit_scores__after_update_eligibility()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_prev_sanction text := coalesce(current_setting('shq.sanctioned_writer', true), '');
    v_moved text[];
BEGIN
    -- A refresh rewrites up to every score: copy the new values rather than
    -- recompute every company. Safe: each bit_scores row stays locked by this
    -- transaction until it commits, and the UPDATE below takes the
    -- eligibility row's lock and writes only these two columns of its newest
    -- version, so it neither misses nor undoes another writer's change.
    PERFORM shq.fn_sanction(concat_ws(',', NULLIF(v_prev_sanction, ''), 'outreach.company_eligibility'));
    UPDATE outreach.company_eligibility e
       SET bit_score = n.score, score_tier = n.score_tier
      FROM new_rows n
     WHERE e.company_unique_id = n.company_unique_id
       AND e.outreach_id = n.outreach_id
       AND (e.bit_score, e.score_tier) IS DISTINCT FROM (n.score, n.score_tier);
    PERFORM shq.fn_sanction(v_prev_sanction);
    -- new_rows reference spine pairs (foreign key), so the copy above is
    -- complete; a row moved to another company (never done by the refresh)
    -- leaves its old company without a score: rebuild that one
    SELECT array_agg(DISTINCT o.company_unique_id) INTO v_moved
      FROM old_rows o
     WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE n.company_unique_id = o.company_unique_id);
    IF v_moved IS NOT NULL THEN
        PERFORM outreach.fn_rebuild_company_eligibility(v_moved);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_bit_scores__after_update_eligibility() IS
    'Trigger (statement-level AFTER UPDATE on outreach.bit_scores, transition tables old_rows and new_rows): copies each refreshed score and score tier into outreach.company_eligibility in one statement; a row whose company changed is rebuilt instead.';
