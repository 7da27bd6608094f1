-- outreach.tg_company_eligibility__copy_new_rows(): copies an input's new values into outreach.company_eligibility
-- where the from-scratch column is that input's own column (docs/maintained-eligibility.md), one statement each.
CREATE OR REPLACE FUNCTION outreach.tg_company_eligibility__copy_new_rows()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- Statement-level AFTER, transition table new_rows: an UPDATE of
-- outreach.bit_scores (the refresh, up to every score) and an INSERT of
-- outreach.company_target (the target created at registration). Each column
-- the from-scratch view takes from these tables is the table's own column
-- (joined on company_unique_id, unique in both): copy the new values rather
-- than read the view again, and write only the rows whose value changed.
-- Safe: each new row stays locked by this transaction until it commits, and
-- the UPDATE takes the eligibility row's lock and writes only these columns
-- of its newest version, so it neither misses nor undoes another writer's
-- change. Complete: a score row never changes company
-- (trg_bit_scores_012_keys_fixed) and an insert takes no target from another
-- company, so no company loses a value here; a company without a maintained
-- row yet gets its whole row with its spine row.
DECLARE
    v_prev_sanction text := coalesce(current_setting('shq.sanctioned_writer', true), '');
BEGIN
    PERFORM shq.fn_sanction(concat_ws(',', NULLIF(v_prev_sanction, ''), 'outreach.company_eligibility'));
    IF TG_RELID = 'outreach.bit_scores'::regclass THEN
        UPDATE outreach.company_eligibility e
           SET bit_score = n.score, score_tier = n.score_tier
          FROM new_rows n
         WHERE e.company_unique_id = n.company_unique_id
           AND e.outreach_id = n.outreach_id
           AND (e.bit_score, e.score_tier) IS DISTINCT FROM (n.score, n.score_tier);
    ELSE  -- outreach.company_target
        UPDATE outreach.company_eligibility e
           SET outreach_status = n.outreach_status
          FROM new_rows n
         WHERE e.company_unique_id = n.company_unique_id
           AND e.outreach_status IS DISTINCT FROM n.outreach_status;
    END IF;
    PERFORM shq.fn_sanction(v_prev_sanction);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_eligibility__copy_new_rows() IS
    'Trigger (statement-level AFTER UPDATE on outreach.bit_scores and AFTER INSERT on outreach.company_target, transition table new_rows): copies each new score and score tier, or each new target''s outreach_status, that differs into outreach.company_eligibility, in one statement.';
