-- Tool canon guard (docs/reference/operations.md): the tool registry and the
-- append-only violation log.
-- depends: 0001_roles_and_schemas
-- Everything below is schema-qualified; what is not (operators, built-in
-- functions and types) binds to pg_catalog and nothing else.
SET LOCAL search_path = pg_catalog, pg_temp;

CREATE TABLE shq.tool_registry (
    tool_id                 text PRIMARY KEY CHECK (tool_id ~ '^TOOL-[0-9]{3}$'),
    tool_name               text NOT NULL CHECK (tool_name ~ '\S'),
    vendor                  text NOT NULL,
    tier                    text NOT NULL CHECK (tier IN ('TIER_0', 'TIER_1', 'TIER_2')),
    allowed_hubs            text[] NOT NULL DEFAULT '{}',
    allowed_interactions    text[] NOT NULL DEFAULT '{}',
    required_gate_state     jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (pg_catalog.jsonb_typeof(required_gate_state) = 'object'),
    requires_api_key        boolean NOT NULL DEFAULT false,
    requires_human_approval boolean NOT NULL DEFAULT false,
    is_banned               boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE shq.tool_registry IS
    'Tool canon: which tools each hub may call, how, and under which gate state (docs/reference/operations.md).';

CREATE TABLE shq.tool_violations (
    violation_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at        timestamptz NOT NULL DEFAULT now(),
    tool_id            text,
    hub_id             text,
    interaction_type   text,
    violation_code     text NOT NULL,
    severity           text NOT NULL CHECK (severity IN ('CRITICAL', 'HIGH', 'MEDIUM', 'LOW')),
    disposition        text NOT NULL CHECK (disposition IN ('PARK', 'RETRY', 'ARCHIVE', 'IGNORE')),
    message            text NOT NULL,
    gate_state         jsonb,
    human_approval_ref text,
    actor              text NOT NULL DEFAULT session_user
);
CREATE INDEX tool_violations_tool_idx ON shq.tool_violations (tool_id, occurred_at);
COMMENT ON TABLE shq.tool_violations IS 'Append-only log of every tool-canon violation (docs/reference/operations.md).';

GRANT SELECT ON shq.tool_registry, shq.tool_violations TO outreach_governor, outreach_hub_writer;
