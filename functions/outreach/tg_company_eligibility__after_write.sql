-- outreach.tg_company_eligibility__after_write(): keeps outreach.company_eligibility (docs/maintained-eligibility.md).
-- Statement-level AFTER INSERT, UPDATE, DELETE and TRUNCATE on each input table: one rebuild per statement.
CREATE OR REPLACE FUNCTION outreach.tg_company_eligibility__after_write()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
-- Each event's trigger declares only its own transition tables (INSERT
-- new_rows, DELETE old_rows, UPDATE both, TRUNCATE none); a branch's static
-- SQL is planned when it first runs, so a branch never reads a table its
-- trigger lacks. plpgsql_check checks every branch, hence both names here:
-- @plpgsql_check_options: newtable = new_rows, oldtable = old_rows
DECLARE
    v_ids text[];
    v_rows bigint;
    v_prev_sanction text;
    v_companies bigint;
    v_id text;
BEGIN
    -- Every input table carries company_unique_id. SECURITY DEFINER: whoever
    -- may write an input keeps the row, through its sanctioned writer.
    IF TG_OP = 'INSERT' AND TG_RELID = 'outreach.outreach'::regclass THEN
        -- companies new to the maintained table (a spine INSERT: the mint):
        -- no row to lock, compare or delete, so their whole rows go straight
        -- in from the from-scratch view, in this statement (one plan, not the
        -- layers of outreach._maintain_company_eligibility and
        -- outreach.fn_company_eligibility_from_scratch, which cost a mint more
        -- than the lookups themselves). Their spine rows, just written, stay
        -- locked until this transaction commits, so no other writer makes
        -- their rows first. Whether a company has a row already is the
        -- primary key's conflict check, not a lookup of ours: a session plans
        -- a lookup once, and on a table still empty then any index, read
        -- whole, looks as cheap as the key. A company that has a row already
        -- (a rebuild missed after a bulk load) keeps it here and takes the
        -- whole-row rebuild below; each spine row has one from-scratch row.
        SELECT count(DISTINCT n.company_unique_id), min(n.company_unique_id)
          INTO v_companies, v_id
          FROM new_rows n;
        IF v_companies = 0 THEN
            RETURN NULL;
        END IF;
        v_prev_sanction := shq.fn_sanction_add('outreach.company_eligibility');
        -- The view's row whole: its columns are the table's, in the table's
        -- order, so the view is the one list.
        IF v_companies = 1 THEN
            -- one company (a mint): its id a parameter, equal to every join
            -- key of the view, so each input is one key lookup and the plan
            -- has no per-company loop to start up (what a registration pays)
            INSERT INTO outreach.company_eligibility
            SELECT v.* FROM outreach._company_eligibility_from_scratch v
             WHERE v.company_unique_id = v_id
            ON CONFLICT (company_unique_id) DO NOTHING;
        ELSE
            -- the list branch of outreach.fn_company_eligibility_from_scratch:
            -- one lookup per company (OFFSET 0 keeps the equality inside the
            -- view's joins and GROUP BYs)
            INSERT INTO outreach.company_eligibility
            SELECT s.*
              FROM (SELECT DISTINCT n.company_unique_id AS id FROM new_rows n) u
             CROSS JOIN LATERAL (SELECT v.* FROM outreach._company_eligibility_from_scratch v
                                  WHERE v.company_unique_id = u.id OFFSET 0) s
            ON CONFLICT (company_unique_id) DO NOTHING;
        END IF;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        v_prev_sanction := shq.fn_sanction(v_prev_sanction);  -- put back
        IF v_rows = v_companies THEN
            RETURN NULL;
        END IF;
        SELECT array_agg(DISTINCT n.company_unique_id) INTO v_ids FROM new_rows n;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.company_unique_id) INTO v_ids FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.company_unique_id) INTO v_ids FROM old_rows o;
    ELSIF TG_OP = 'UPDATE' THEN
        -- a table that names no read columns (outreach._company_eligibility_inputs):
        -- every company its rows were in, before and after (the others' UPDATE
        -- triggers call the functions the installer generates for them)
        SELECT array_agg(DISTINCT x.company_unique_id) INTO v_ids
          FROM (SELECT n.company_unique_id FROM new_rows n UNION ALL SELECT o.company_unique_id FROM old_rows o) x;
    ELSE
        -- a TRUNCATE names no rows: rebuild every company
        PERFORM outreach.fn_rebuild_company_eligibility(NULL);
    END IF;
    IF v_ids IS NOT NULL THEN
        PERFORM outreach._maintain_company_eligibility(v_ids, TG_RELID::regclass);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION outreach.tg_company_eligibility__after_write() IS
    'Trigger (statement-level AFTER INSERT (NEW TABLE AS new_rows), UPDATE (OLD TABLE AS old_rows NEW TABLE AS new_rows), DELETE (OLD TABLE AS old_rows) and TRUNCATE on the input tables of outreach.company_eligibility): rebuilds the maintained eligibility rows of exactly the companies whose rows the statement wrote, in one call of outreach._maintain_company_eligibility (a spine INSERT of companies without a maintained row inserts their rows itself, from outreach._company_eligibility_from_scratch; an UPDATE of a table that names no read columns, every company its rows were in: the others'' UPDATE triggers call the per-table functions outreach._install_company_eligibility_triggers generates); after a TRUNCATE, every row.';
