-- Identity (docs/reference/identity.md): the CL authority registry, the outreach spine and its
-- archives; and the governance audit log (docs/reference/operations.md).
-- depends: 0001_roles_and_schemas
-- Everything below is schema-qualified; what is not (operators, built-in
-- functions and types) binds to pg_catalog and nothing else.
SET LOCAL search_path = pg_catalog, pg_temp;

CREATE TABLE cl.company_identity (
    company_unique_id    text PRIMARY KEY
                         CONSTRAINT company_identity_id_not_blank CHECK (company_unique_id ~ '\S'),
    company_name         text,
    domain               text,
    eligibility_status   text NOT NULL DEFAULT 'ELIGIBLE'
                         CONSTRAINT company_identity_eligibility_status_check
                         CHECK (eligibility_status IN ('ELIGIBLE', 'INELIGIBLE')),
    identity_status      text NOT NULL DEFAULT 'VERIFIED'
                         CONSTRAINT company_identity_identity_status_check
                         CHECK (identity_status IN ('VERIFIED', 'UNVERIFIED')),
    lifecycle_state      text NOT NULL DEFAULT 'prospect'
                         CONSTRAINT company_identity_lifecycle_state_check
                         CHECK (lifecycle_state IN ('prospect', 'sales', 'client', 'churned')),
    outreach_id          uuid UNIQUE,
    outreach_id_bound_at timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT company_identity_bound_at_with_id CHECK ((outreach_id IS NULL) = (outreach_id_bound_at IS NULL))
);
COMMENT ON TABLE cl.company_identity IS
    'CL authority registry: one row per sovereign company. outreach_id is written once by outreach.fn_mint_outreach_id (docs/reference/identity.md).';
COMMENT ON COLUMN cl.company_identity.outreach_id IS 'Bound once by the Golden Rule; never changes or returns to NULL (OG003).';

-- THE SPINE. (outreach_id, company_unique_id) is unique so that every table
-- hanging off the spine can reference the pair and never disagree with it.
CREATE TABLE outreach.outreach (
    outreach_id       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    company_unique_id text NOT NULL UNIQUE REFERENCES cl.company_identity (company_unique_id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT outreach_id_company_key UNIQUE (outreach_id, company_unique_id)
);
COMMENT ON TABLE outreach.outreach IS
    'THE SPINE: one outreach record per CL company, minted by outreach.fn_mint_outreach_id (docs/reference/identity.md).';

CREATE TABLE outreach.outreach_archive (
    outreach_id       uuid PRIMARY KEY,
    company_unique_id text NOT NULL,
    created_at        timestamptz NOT NULL,
    archived_at       timestamptz NOT NULL DEFAULT now(),
    archive_reason    text NOT NULL CHECK (archive_reason ~ '\S'),
    archived_by       text NOT NULL CHECK (archived_by ~ '\S')
);
COMMENT ON TABLE outreach.outreach_archive IS
    'Spine rows removed by outreach.fn_delete_outreach_cascade, with who and why (docs/reference/operations.md).';

CREATE TABLE outreach.outreach_orphan_archive (
    outreach_id       uuid PRIMARY KEY,
    company_unique_id text NOT NULL,
    created_at        timestamptz NOT NULL,
    archived_at       timestamptz NOT NULL DEFAULT now(),
    archive_reason    text NOT NULL CHECK (archive_reason ~ '\S'),
    archived_by       text NOT NULL CHECK (archived_by ~ '\S')
);
COMMENT ON TABLE outreach.outreach_orphan_archive IS
    'Spine rows that CL never bound, moved out by outreach.fn_archive_orphans (docs/reference/operations.md).';

CREATE TABLE shq.audit_log (
    audit_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    event_type     text NOT NULL CHECK (event_type ~ '\S'),
    actor          text NOT NULL DEFAULT session_user,
    correlation_id text,
    details        jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_event_type_idx ON shq.audit_log (event_type, occurred_at);
COMMENT ON TABLE shq.audit_log IS
    'Append-only governance audit trail: governance runs, smoke tests, cascades, manual actions (docs/reference/operations.md).';

GRANT SELECT ON cl.company_identity TO outreach_cl_authority, outreach_governor;
GRANT SELECT ON outreach.outreach TO outreach_hub_writer, outreach_governor;
GRANT SELECT ON shq.audit_log TO outreach_governor;
