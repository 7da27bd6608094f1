-- outreach.tg_subhub_attachment(): the one attachment rule of every sub-hub
-- table (docs/reference/hubs.md): a row belongs to a Company Target, and its outreach_id and
-- company_unique_id are that target's. BEFORE INSERT OR UPDATE, per row.
CREATE OR REPLACE FUNCTION outreach.tg_subhub_attachment()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_outreach_id uuid;
    v_company text;
    v_slot_outreach uuid;
    v_slot_id bigint;
BEGIN
    -- (A bulk load that proves this rule set-based instead, pyctl seed as a
    -- superuser, never gets here: the trigger's WHEN, shq.fn_guard_triggers,
    -- skips the call in replica mode when the transaction declares
    -- outreach.attachment_checked_set_based. The composite foreign key
    -- (target_id, outreach_id, company_unique_id) to the target, whose
    -- columns are NOT NULL, and people_master's (slot_id, outreach_id) to its
    -- slot are this rule; the loader checks them once for every row.)
    IF NEW.target_id IS NULL THEN
        RAISE EXCEPTION '%.% row without a Company Target', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = 'OG006',
                  HINT = 'Every sub-hub row attaches to outreach.company_target: create the target first (outreach.fn_create_company_target).';
    END IF;
    SELECT t.outreach_id, t.company_unique_id INTO v_outreach_id, v_company
      FROM outreach.company_target t
     WHERE t.target_id = NEW.target_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%.% row names unknown Company Target %', TG_TABLE_SCHEMA, TG_TABLE_NAME, NEW.target_id
            USING ERRCODE = 'OG006',
                  HINT = 'Create the target with outreach.fn_create_company_target and use the target_id it returns.';
    END IF;
    IF NEW.outreach_id IS DISTINCT FROM v_outreach_id OR NEW.company_unique_id IS DISTINCT FROM v_company THEN
        RAISE EXCEPTION '%.% row disagrees with its Company Target %', TG_TABLE_SCHEMA, TG_TABLE_NAME, NEW.target_id
            USING ERRCODE = 'OG006',
                  DETAIL = format('row has (%s, %s); the target has (%s, %s)',
                                  coalesce(NEW.outreach_id::text, 'NULL'), coalesce(NEW.company_unique_id, 'NULL'),
                                  v_outreach_id, v_company),
                  HINT = 'Copy outreach_id and company_unique_id from the target; sub-hubs never attach to CL directly.';
    END IF;

    -- people_master: a person's slot must belong to the same target.
    IF TG_TABLE_SCHEMA = 'people' AND TG_TABLE_NAME = 'people_master' THEN
        v_slot_id := (to_jsonb(NEW) ->> 'slot_id')::bigint;
        IF v_slot_id IS NOT NULL THEN
            SELECT s.outreach_id INTO v_slot_outreach FROM people.company_slot s WHERE s.slot_id = v_slot_id;
            IF v_slot_outreach IS DISTINCT FROM v_outreach_id THEN
                RAISE EXCEPTION 'people.people_master row names slot % of another company', v_slot_id
                    USING ERRCODE = 'OG006', HINT = 'Seat a person only in a slot of the same Company Target.';
            END IF;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION outreach.tg_subhub_attachment() IS
    'Trigger: raises OG006 for a sub-hub row without a Company Target or whose outreach_id/company_unique_id disagree with the target''s (docs/reference/hubs.md).';
