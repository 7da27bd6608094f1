-- outreach.tg_manual_overrides__after_write_eligibility(): copies the override state of the companies a
-- statement on outreach.manual_overrides touched into outreach.company_eligibility, in the same
-- transaction (docs/maintained-eligibility.md). Per statement, transition tables new_rows / old_rows.
CREATE OR REPLACE FUNCTION outreach.tg_manual_overrides__after_write_eligibility()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
-- one generic plan per session: a custom plan for the list of companies would
-- be planned again on every override change
SET plan_cache_mode = force_generic_plan
AS $$
-- @plpgsql_check_options: newtable = new_rows, oldtable = old_rows
-- Each trigger declares only its event's transition tables; a branch's SQL is
-- planned when it first runs, so no branch reads a table its trigger lacks.
DECLARE
    v_prev_sanction text;
    v_ids text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.company_unique_id) INTO v_ids FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.company_unique_id) INTO v_ids FROM old_rows o;
    ELSE
        SELECT array_agg(c.id) INTO v_ids
          FROM (SELECT n.company_unique_id FROM new_rows n
                UNION SELECT o.company_unique_id FROM old_rows o) AS c(id);
    END IF;
    IF v_ids IS NULL THEN
        RETURN NULL;   -- an UPDATE that matched no row (a SET with no override to replace)
    END IF;
    -- The writers of manual_overrides (set/remove_marketing_override) hold the
    -- company's kill-switch lock exclusively, so this statement's snapshot
    -- (taken after it) sees every earlier change of the company's overrides.
    -- It writes only the override columns of the row's newest version, so it
    -- neither misses nor undoes a concurrent change of another input.
    -- A company outside the spine has no row: nothing to write.
    v_prev_sanction := shq.fn_sanction_add('outreach.company_eligibility');
    UPDATE outreach.company_eligibility e
       SET override_block_outreach_until = s.override_block_outreach_until,
           override_block_email_until    = s.override_block_email_until,
           override_block_phone_until    = s.override_block_phone_until,
           override_force_tier_until     = s.override_force_tier_until,
           override_force_tier_cap       = s.override_force_tier_cap
      FROM unnest(v_ids) AS c(id)
      -- lateral, so the company reaches the view's GROUP BY: an index probe of
      -- the company's overrides rather than an aggregate of everyone's
      LEFT JOIN LATERAL (SELECT o.* FROM outreach._company_override_state o
                          WHERE o.company_unique_id = c.id OFFSET 0) s ON true
     WHERE e.company_unique_id = c.id
       AND (e.override_block_outreach_until, e.override_block_email_until, e.override_block_phone_until,
            e.override_force_tier_until, e.override_force_tier_cap)
           IS DISTINCT FROM
           (s.override_block_outreach_until, s.override_block_email_until, s.override_block_phone_until,
            s.override_force_tier_until, s.override_force_tier_cap);
    v_prev_sanction := shq.fn_sanction(v_prev_sanction);  -- put back
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_manual_overrides__after_write_eligibility() IS
    'Trigger (statement-level AFTER INSERT, UPDATE and DELETE on outreach.manual_overrides, transition tables): writes the override columns of outreach.company_eligibility of the touched companies from outreach._company_override_state, only where they differ.';
