-- cl.tg_company_identity__before_write(): identity rules of the CL registry (docs/reference/identity.md).
CREATE OR REPLACE FUNCTION cl.tg_company_identity__before_write()
RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF shq.fn_is_blank(NEW.company_unique_id) THEN
        RAISE EXCEPTION 'company_unique_id must not be NULL or blank'
            USING ERRCODE = 'OG001',
                  HINT = 'CL mints company_unique_id; pass the sovereign id exactly as CL issued it.';
    END IF;

    IF TG_OP = 'INSERT' THEN
        IF NEW.outreach_id IS NOT NULL THEN
            NEW.outreach_id_bound_at := coalesce(NEW.outreach_id_bound_at, now());
        ELSE
            NEW.outreach_id_bound_at := NULL;
        END IF;
        RETURN NEW;
    END IF;

    IF NEW.company_unique_id IS DISTINCT FROM OLD.company_unique_id THEN
        RAISE EXCEPTION 'company_unique_id is write-once (% -> %)', OLD.company_unique_id, NEW.company_unique_id
            USING ERRCODE = 'OG003',
                  HINT = 'A sovereign identity never changes; register a new company instead.';
    END IF;
    IF OLD.outreach_id IS NOT NULL AND NEW.outreach_id IS DISTINCT FROM OLD.outreach_id THEN
        RAISE EXCEPTION 'outreach_id of company % is already bound and is write-once', OLD.company_unique_id
            USING ERRCODE = 'OG003',
                  DETAIL = format('bound outreach_id %s, attempted %s', OLD.outreach_id, coalesce(NEW.outreach_id::text, 'NULL')),
                  HINT = 'Use outreach.fn_mint_outreach_id, which returns the bound id.';
    END IF;
    IF OLD.outreach_id IS NOT NULL THEN
        NEW.outreach_id_bound_at := OLD.outreach_id_bound_at;       -- write-once too
    ELSIF NEW.outreach_id IS NOT NULL THEN
        NEW.outreach_id_bound_at := now();
    ELSE
        NEW.outreach_id_bound_at := NULL;
    END IF;

    -- Zero promotion authority: only CL (its role, or a superuser acting as
    -- CL) moves a company through its lifecycle.
    IF NEW.lifecycle_state IS DISTINCT FROM OLD.lifecycle_state
       AND NOT pg_has_role(current_user, 'outreach_cl_authority', 'MEMBER')
    THEN
        RAISE EXCEPTION 'lifecycle_state of company % may only be changed by CL', OLD.company_unique_id
            USING ERRCODE = 'OG005',
                  DETAIL = format('current_user %s is not a member of outreach_cl_authority', current_user),
                  HINT = 'Outreach has zero promotion authority: it signals, CL decides.';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION cl.tg_company_identity__before_write() IS
    'Trigger: refuses blank ids (OG001), changes of company_unique_id or a bound outreach_id (OG003), and lifecycle changes outside CL (OG005).';
