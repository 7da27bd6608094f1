-- Roles and schemas of the outreach governance core (docs/reference/conventions.md).
-- Group roles are cluster-wide and NOLOGIN; they are created only when absent
-- so that several databases of one cluster share them.
-- Everything below is schema-qualified; what is not (operators, built-in
-- functions and types) binds to pg_catalog and nothing else.
SET LOCAL search_path = pg_catalog, pg_temp;

DO $$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY[
        'outreach_owner', 'outreach_cl_authority', 'outreach_hub_writer',
        'outreach_override_admin', 'outreach_sender', 'outreach_governor',
        'outreach_reader']
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', v_role);
        END IF;
    END LOOP;
END
$$;

CREATE SCHEMA cl AUTHORIZATION outreach_owner;
CREATE SCHEMA outreach AUTHORIZATION outreach_owner;
CREATE SCHEMA people AUTHORIZATION outreach_owner;
CREATE SCHEMA company AUTHORIZATION outreach_owner;
CREATE SCHEMA shq AUTHORIZATION outreach_owner;

COMMENT ON SCHEMA cl IS 'Company Lifecycle authority registry: sovereign company identity (docs/reference/identity.md).';
COMMENT ON SCHEMA outreach IS 'Outreach Execution: the spine, company targets, sub-hubs, hub status, BIT, kill switch, gate (docs/reference/identity.md).';
COMMENT ON SCHEMA people IS 'People Intelligence sub-hub: slots, people and their errors (docs/reference/hubs.md).';
COMMENT ON SCHEMA company IS 'Company-level enrichment errors (docs/reference/governance.md).';
COMMENT ON SCHEMA shq IS 'Governance: audit log, error governance, promotion gates, tool canon (docs/reference/governance.md).';

-- Every group role may resolve names in every project schema; what it may do
-- there is granted object by object.
GRANT USAGE ON SCHEMA cl, outreach, people, company, shq
    TO outreach_cl_authority, outreach_hub_writer, outreach_override_admin,
       outreach_sender, outreach_governor, outreach_reader;

-- Nothing is granted to PUBLIC by default on objects outreach_owner creates.
ALTER DEFAULT PRIVILEGES FOR ROLE outreach_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
