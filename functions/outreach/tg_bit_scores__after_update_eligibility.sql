-- outreach.tg_bit_scores__after_update_eligibility(): copies refreshed BIT scores into
-- outreach.company_eligibility (docs/maintained-eligibility.md), one statement per refresh.
CREATE OR REPLACE FUNCTION outreach.tg_bit_scores__after_update_eligibility()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_prev_sanction text;
BEGIN
    -- A refresh rewrites up to every score: copy the new values rather than
    -- recompute every company, and write only the rows whose score or tier
    -- changed. Safe: each bit_scores row stays locked by this transaction
    -- until it commits, and the UPDATE below takes the eligibility row's lock
    -- and writes only these two columns of its newest version, so it neither
    -- misses nor undoes another writer's change. Complete: new_rows reference
    -- spine pairs (foreign key), and a row never changes company
    -- (trg_bit_scores_012_keys_fixed), so no company loses its score here.
    v_prev_sanction := shq.fn_sanction_add('outreach.company_eligibility');
    UPDATE outreach.company_eligibility e
       SET bit_score = n.score, score_tier = n.score_tier
      FROM new_rows n
     WHERE e.company_unique_id = n.company_unique_id
       AND e.outreach_id = n.outreach_id
       AND (e.bit_score, e.score_tier) IS DISTINCT FROM (n.score, n.score_tier);
    v_prev_sanction := shq.fn_sanction(v_prev_sanction);  -- put back
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_bit_scores__after_update_eligibility() IS
    'Trigger (statement-level AFTER UPDATE on outreach.bit_scores, transition table new_rows): copies each refreshed score and score tier that changed into outreach.company_eligibility, in one statement.';
