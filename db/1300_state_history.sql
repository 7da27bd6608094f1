-- State history: append-only, sealed records of every change of CL eligibility and binding, of hub
-- statuses and of targets' outreach_status, written by triggers in the changing transaction (docs/reference/identity.md, docs/reference/hubs.md, docs/reference/gate.md).
-- depends: 1001_governance_job_runs_last_failure
SET LOCAL search_path = pg_catalog, pg_temp;

-- Why: whether a send was safe can be judged independently of the gate's own
-- verdict only if every input of the verdict has a history: the kill switch
-- has one (outreach.override_audit_log); these three tables give the others.
-- Each row is one change of one row of its table, stamped with the server's
-- clock when the changing statement ended (changed_at) and the session user.
-- The statement-level triggers that write them (triggers/*/*__history.sql)
-- are ordinary (ENABLE) triggers: a session in session_replication_role =
-- replica (the seed's bulk load, a logical replication apply; only a
-- superuser may set it) writes none, so the history of a row loaded that way
-- starts with its first change afterwards (docs/soak.md weighs this).

CREATE TABLE cl.company_identity_history (
    history_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_unique_id  text NOT NULL,
    operation          text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    eligibility_status text,
    outreach_id        uuid,
    changed_at         timestamptz NOT NULL,
    changed_by         text NOT NULL
);
COMMENT ON TABLE cl.company_identity_history IS
    'Append-only, sealed: one row per change of a CL company''s eligibility_status or outreach_id (and per company registered), with the values after the change; written by the triggers of cl.company_identity in the same transaction.';

CREATE TABLE outreach.company_hub_status_history (
    history_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_unique_id text NOT NULL,
    hub_id            text NOT NULL,
    operation         text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    status            text,
    status_reason     text,
    changed_at        timestamptz NOT NULL,
    changed_by        text NOT NULL
);
COMMENT ON TABLE outreach.company_hub_status_history IS
    'Append-only, sealed: one row per hub-status row created, changed (status or status_reason) or deleted, with the values after the change (NULL after a DELETE); written by the triggers of outreach.company_hub_status in the same transaction.';

CREATE TABLE outreach.company_target_status_history (
    history_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target_id         text NOT NULL,
    company_unique_id text NOT NULL,
    operation         text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    outreach_status   text,
    status_reason     text,
    changed_at        timestamptz NOT NULL,
    changed_by        text NOT NULL
);
COMMENT ON TABLE outreach.company_target_status_history IS
    'Append-only, sealed: one row per Company Target created, deleted, or whose outreach_status or status_reason changed, with the values after the change (NULL after a DELETE); written by the triggers of outreach.company_target in the same transaction.';

GRANT SELECT ON cl.company_identity_history, outreach.company_hub_status_history,
    outreach.company_target_status_history TO outreach_governor;

-- The registry: the history tables are append-only and sealed, like the
-- other audit trails. The registry is sovereign. On a database migrated
-- before, it belongs to outreach_owner and its guard lets only outreach_owner
-- with the sanction write (what shq.fn_sanction sets); on a fresh one every
-- object still belongs to the migrating role, and the functions and guard
-- triggers are created after the migrations. So: write as the registry's
-- owner, sanctioned, then return to the role the migration ran as.
SELECT set_config('pyctl.role_before_1300', current_user, true);
SELECT set_config('role', pg_get_userbyid(c.relowner), true) FROM pg_class c WHERE c.oid = 'shq.guarded_tables'::regclass;
SELECT set_config('shq.sanctioned_writer', 'shq.guarded_tables', true);
INSERT INTO shq.guarded_tables (table_name, kind, id_column) VALUES
    ('cl.company_identity_history',            'append_only', NULL),
    ('outreach.company_hub_status_history',    'append_only', NULL),
    ('outreach.company_target_status_history', 'append_only', NULL),
    ('cl.company_identity_history',            'sealed', 'history_id'),
    ('outreach.company_hub_status_history',    'sealed', 'history_id'),
    ('outreach.company_target_status_history', 'sealed', 'history_id');
SELECT set_config('shq.sanctioned_writer', '', true);
SELECT set_config('role', current_setting('pyctl.role_before_1300'), true);
