-- outreach.fn_mint_outreach_id: the Golden Rule (docs/reference/identity.md).
CREATE OR REPLACE FUNCTION outreach.fn_mint_outreach_id(p_company_unique_id text)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
-- Every read of a mint, its own and its triggers' (the eligibility row's
-- lookups, the foreign key checks), is one company by key. A session plans
-- each of them once, on its first mint; planned while a table is still small
-- (a new database, the first ids) a read of that table looks cheapest whole,
-- and that plan is kept while the table grows: each later mint of the session
-- would read the whole spine. Key lookups do not depend on the table's size.
-- A read with no key to look up still reads its table, and is then costed
-- as if it were huge: without jit off, each would be compiled on every call.
-- Not statistics, not the query shape: every read is a unique-key equality
-- already, and on a table of a few pages a whole read is the cheaper plan
-- for that too; only an invalidation replans it (docs/reference/identity.md).
SET enable_seqscan = off SET jit = off
AS $$
DECLARE
    v_cl_id uuid;
    v_spine_id uuid;
BEGIN
    IF shq.fn_is_blank(p_company_unique_id) THEN
        RAISE EXCEPTION 'company_unique_id must not be NULL or blank'
            USING ERRCODE = 'OG001', HINT = 'Outreach never mints identity: pass the id CL issued.';
    END IF;

    -- Lock the CL row: concurrent callers for one company queue here, and the
    -- first one's binding is what the others read.
    SELECT ci.outreach_id INTO v_cl_id
      FROM cl.company_identity ci
     WHERE ci.company_unique_id = p_company_unique_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'company % is not in cl.company_identity', p_company_unique_id
            USING ERRCODE = 'OG002',
                  HINT = 'Register the company with CL first (cl.fn_register_company); Outreach never fabricates identity.';
    END IF;

    IF v_cl_id IS NULL THEN
        -- The mint: the spine row and the one write of its id to CL, in one
        -- statement (each statement costs a plan check, a snapshot and an
        -- executor start-up). The statement starts after the lock, so no other
        -- mint of this company is under way; a spine row that exists already
        -- (loaded by hand without CL's binding) is the insert's conflict, and
        -- is bound below instead of duplicated.
        WITH spine AS (
            INSERT INTO outreach.outreach (company_unique_id) VALUES (p_company_unique_id)
            ON CONFLICT (company_unique_id) DO NOTHING
            RETURNING outreach.outreach.outreach_id
        )
        UPDATE cl.company_identity ci SET outreach_id = s.outreach_id
          FROM spine s
         WHERE ci.company_unique_id = p_company_unique_id
        RETURNING ci.outreach_id INTO v_cl_id;
        IF v_cl_id IS NULL THEN
            -- a new statement: it sees the spine row the insert conflicted with
            UPDATE cl.company_identity ci SET outreach_id = o.outreach_id
              FROM outreach.outreach o
             WHERE o.company_unique_id = p_company_unique_id
               AND ci.company_unique_id = p_company_unique_id
            RETURNING ci.outreach_id INTO v_cl_id;
            IF v_cl_id IS NULL THEN
                -- the conflicting spine row went away in between (a cascade deletion)
                RAISE EXCEPTION 'the spine row of company % changed while its outreach_id was minted', p_company_unique_id
                    USING ERRCODE = '40001', HINT = 'Retry the transaction.';
            END IF;
        END IF;
        RETURN v_cl_id;
    END IF;

    -- CL binds an id already: the spine must hold the same one.
    SELECT o.outreach_id INTO v_spine_id
      FROM outreach.outreach o
     WHERE o.company_unique_id = p_company_unique_id;
    IF v_spine_id IS NULL THEN
        -- CL binds an id the spine lost: restore the spine row (alignment).
        INSERT INTO outreach.outreach (outreach_id, company_unique_id) VALUES (v_cl_id, p_company_unique_id);
    ELSIF v_spine_id <> v_cl_id THEN
        RAISE EXCEPTION 'CL already binds outreach_id % to company %, but the spine holds %',
                        v_cl_id, p_company_unique_id, v_spine_id
            USING ERRCODE = 'OG003', HINT = 'Resolve the misaligned spine row; CL''s binding is authoritative.';
    END IF;
    RETURN v_cl_id;
END
$$;
COMMENT ON FUNCTION outreach.fn_mint_outreach_id(text) IS
    'The Golden Rule: returns the company''s outreach_id, minting it (spine row + one write to CL, one transaction) when absent. OG001 blank, OG002 unknown, OG003 conflicting binding. Plans every read, its triggers'' included, as a key lookup (enable_seqscan off, and so jit off), so that a session whose first mint met a small spine does not read the whole spine on its later mints (docs/reference/identity.md).';
GRANT EXECUTE ON FUNCTION outreach.fn_mint_outreach_id(text) TO outreach_hub_writer;
