-- outreach.tg_bit_scores__before_update_keys(): a stored BIT score keeps its company (docs/reference/bit.md),
-- so the copy into outreach.company_eligibility never leaves a company with another's score.
CREATE OR REPLACE FUNCTION outreach.tg_bit_scores__before_update_keys()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- statement-level and fired only by an UPDATE that sets a key column: the
    -- refresh sets the score columns only, and pays nothing for this check
    RAISE EXCEPTION 'a row of outreach.bit_scores keeps its outreach_id and company_unique_id'
        USING ERRCODE = 'OG003',
              DETAIL = 'The UPDATE sets outreach_id or company_unique_id of outreach.bit_scores.',
              HINT = 'Refresh the scores with outreach.fn_refresh_bit_scores; a score is keyed by its company for good.';
END
$$;
COMMENT ON FUNCTION outreach.tg_bit_scores__before_update_keys() IS
    'Trigger (statement-level BEFORE UPDATE OF outreach_id, company_unique_id on outreach.bit_scores): refuses (OG003) any UPDATE that sets a key column, so a score never moves to another company (docs/reference/bit.md).';
