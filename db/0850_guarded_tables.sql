-- The registry of guarded tables: every table the project guards, and how (append-only, sealed,
-- sovereign, sub-hub attachment, write-once identity, send log, engagement).
-- depends: 0700_audit_seals
SET LOCAL search_path = pg_catalog, pg_temp;

-- One row per (table, kind of guard). The guards, the seals, the DDL guard,
-- the grants audit, pyctl's policy and `pyctl verify` all read this table
-- instead of keeping their own list; shq.fn_guard_triggers() turns each row
-- into the triggers it expects, and shq.fn_install_guard_triggers() creates
-- the generated ones (repeatable file triggers/shq/guard_triggers.sql).
--
-- table_name is a regclass: it follows a rename, a dump writes it as the
-- schema-qualified name and a restore reads it back once the tables exist
-- (table data is restored after every table is created), and pg_upgrade
-- keeps table oids. A regclass holds no dependency: dropping a registered
-- table leaves a dangling oid, which is why the DDL guard refuses it.
--
-- The table is itself sovereign (it guards itself): a later migration that
-- changes it runs `SET LOCAL ROLE outreach_owner` and
-- `SELECT shq.fn_sanction('shq.guarded_tables')` before writing.
CREATE TABLE shq.guarded_tables (
    table_name  regclass NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('append_only', 'sealed', 'sovereign', 'attachment',
                                              'write_once', 'send_log', 'engagement')),
    id_column   name,
    writer_hint text,
    triggers    name[],
    PRIMARY KEY (table_name, kind),
    CONSTRAINT guarded_tables_sealed_id_column CHECK ((kind = 'sealed') = (id_column IS NOT NULL)),
    CONSTRAINT guarded_tables_sovereign_hint CHECK ((kind = 'sovereign') = (writer_hint IS NOT NULL)),
    CONSTRAINT guarded_tables_listed_triggers CHECK (
        (kind IN ('write_once', 'send_log', 'engagement')) = (triggers IS NOT NULL AND cardinality(triggers) > 0))
);
COMMENT ON TABLE shq.guarded_tables IS
    'Registry of guarded tables, one row per table and kind of guard: append_only (OG004), sealed (tamper-evident seal chain; id_column orders it), sovereign (OG005; writer_hint names the sanctioned writer), attachment (OG006), and the hand-written guards write_once, send_log, engagement (triggers lists their trigger names). Every guard trigger is ENABLE ALWAYS; shq.fn_guard_triggers() lists them.';
COMMENT ON COLUMN shq.guarded_tables.id_column IS
    'sealed: the bigint identity column whose order the seal chain follows.';
COMMENT ON COLUMN shq.guarded_tables.writer_hint IS
    'sovereign: the HINT of the OG005 error, naming the sanctioned writer(s).';
COMMENT ON COLUMN shq.guarded_tables.triggers IS
    'write_once, send_log, engagement: the names of the hand-written guard triggers (triggers/) the table must carry, ENABLE ALWAYS.';

INSERT INTO shq.guarded_tables (table_name, kind, id_column, writer_hint, triggers) VALUES
    -- append-only (docs/reference/conventions.md), and the seal chain's own tables
    ('outreach.send_attempt_audit',  'append_only', NULL, NULL, NULL),
    ('outreach.override_audit_log',  'append_only', NULL, NULL, NULL),
    ('outreach.bit_signals',         'append_only', NULL, NULL, NULL),
    ('outreach.engagement_events',   'append_only', NULL, NULL, NULL),
    ('shq.audit_log',                'append_only', NULL, NULL, NULL),
    ('shq.tool_violations',          'append_only', NULL, NULL, NULL),
    ('shq.audit_seals',              'append_only', NULL, NULL, NULL),
    ('shq.audit_seal_tombstones',    'append_only', NULL, NULL, NULL),
    -- sealed: the append-only tables (docs/reference/conventions.md), each ordered by a bigint
    -- identity (send_attempt_audit's key is a uuid: audit_seq orders it)
    ('outreach.bit_signals',         'sealed', 'signal_id', NULL, NULL),
    ('outreach.engagement_events',   'sealed', 'event_id', NULL, NULL),
    ('outreach.override_audit_log',  'sealed', 'audit_id', NULL, NULL),
    ('outreach.send_attempt_audit',  'sealed', 'audit_seq', NULL, NULL),
    ('shq.audit_log',                'sealed', 'audit_id', NULL, NULL),
    ('shq.tool_violations',          'sealed', 'violation_id', NULL, NULL),
    -- sovereign (docs/reference/conventions.md), and this registry
    ('outreach.company_hub_status',  'sovereign', NULL,
        'Use outreach.fn_set_hub_status or outreach.fn_evaluate_hub_statuses.', NULL),
    ('outreach.manual_overrides',    'sovereign', NULL,
        'Use outreach.set_marketing_override or outreach.remove_marketing_override.', NULL),
    ('outreach.hub_registry',        'sovereign', NULL, 'Hub definitions change only through a migration.', NULL),
    ('outreach.bit_scores',          'sovereign', NULL, 'Use outreach.fn_refresh_bit_scores.', NULL),
    ('shq.guarded_tables',           'sovereign', NULL, 'The registry of guarded tables changes only through a migration.', NULL),
    -- sub-hub attachment (docs/reference/hubs.md)
    ('outreach.people',              'attachment', NULL, NULL, NULL),
    ('people.company_slot',          'attachment', NULL, NULL, NULL),
    ('people.people_master',         'attachment', NULL, NULL, NULL),
    ('outreach.dol',                 'attachment', NULL, NULL, NULL),
    ('outreach.dol_filings',         'attachment', NULL, NULL, NULL),
    ('outreach.blog',                'attachment', NULL, NULL, NULL),
    ('outreach.blog_signals',        'attachment', NULL, NULL, NULL),
    ('outreach.talent_flow',         'attachment', NULL, NULL, NULL),
    -- hand-written guards (their trigger files are under triggers/)
    ('cl.company_identity',          'write_once', NULL, NULL, '{trg_company_identity_010_before_write}'),
    ('outreach.send_log',            'send_log', NULL, NULL,
        '{trg_send_log_001_kill_switch_lock, trg_send_log_005_lock_target, trg_send_log_010_gate_guard,'
        ' trg_send_log_011_clearance_immutable, trg_send_log_500_status_transition}'),
    ('outreach.engagement_events',   'engagement', NULL, NULL,
        '{trg_engagement_events_020_send_ids, trg_engagement_events_500_effects}');

GRANT SELECT ON shq.guarded_tables TO outreach_governor;
