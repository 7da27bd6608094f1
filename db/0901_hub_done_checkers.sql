-- The DONE checker of each hub (docs/reference/hubs.md) as data: which
-- shq.fn_check_*_done function decides that a hub is DONE for an outreach_id.
-- depends: 0003_hubs_targets_subhubs
--
-- `pyctl scan` compares it with the DONE_STATE_DEFINITIONS.md that a hub
-- code base declares; tests check that each checker agrees with the promotion
-- gate (shq._hub_gates.done) for every company. The checker's own COMMENT is
-- its criteria, so the criteria are written once, beside the code.
-- checker is the function's schema-qualified name as text, not regprocedure:
-- the functions are created by the repeatable pass, after the migrations.
SET LOCAL search_path = pg_catalog, pg_temp;

CREATE TABLE shq.hub_done_checkers (
    hub_id  text PRIMARY KEY REFERENCES outreach.hub_registry (hub_id),
    checker text NOT NULL UNIQUE CHECK (checker ~ '^shq\.fn_check_[a-z0-9_]+_done$')
);
COMMENT ON TABLE shq.hub_done_checkers IS
    'Which DONE checker (shq.fn_check_*_done(outreach_id uuid, ...) RETURNS boolean) belongs to which hub of outreach.hub_registry (docs/reference/hubs.md); read by pyctl scan.';

INSERT INTO shq.hub_done_checkers (hub_id, checker) VALUES
    ('company-target',      'shq.fn_check_company_target_done'),
    ('dol-filings',         'shq.fn_check_dol_done'),
    ('people-intelligence', 'shq.fn_check_people_done'),
    ('talent-flow',         'shq.fn_check_talent_flow_done'),
    ('blog-content',        'shq.fn_check_blog_done'),
    ('bit-engine',          'shq.fn_check_bit_done');

GRANT SELECT ON shq.hub_done_checkers TO outreach_governor, outreach_hub_writer;
