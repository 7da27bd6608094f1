-- Tamper evidence: the seal chain over the append-only tables and the tombstones of sanctioned deletions.
-- depends: 0007_tool_canon
SET LOCAL search_path = pg_catalog, pg_temp;

-- One row per sealed range of one audited table. Ranges of a table are
-- consecutive in id order: seal k covers every row whose ordering key is in
-- (last_id of seal k-1, last_id of seal k] (the first seal: every id up to its
-- last_id). first_id/last_id are the smallest and largest id present when
-- sealed. row_digest = sha256 over the sha256 of each row's canonical text
-- (shq._audit_row_text_sql) in id order; digest links the seal to the one
-- before it (shq._audit_seal_digest), so the newest digest of a table is the
-- head of its chain.
CREATE TABLE shq.audit_seals (
    seal_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name  text NOT NULL CHECK (pg_catalog.btrim(table_name) <> ''),
    id_column   text NOT NULL CHECK (pg_catalog.btrim(id_column) <> ''),
    first_id    bigint NOT NULL,
    last_id     bigint NOT NULL,
    row_count   bigint NOT NULL CHECK (row_count > 0),
    columns     text[] NOT NULL CHECK (pg_catalog.cardinality(columns) > 0),
    row_digest  bytea NOT NULL CHECK (pg_catalog.length(row_digest) = 32),
    prev_digest bytea CHECK (pg_catalog.length(prev_digest) = 32),
    digest      bytea NOT NULL CHECK (pg_catalog.length(digest) = 32),
    sealed_at   timestamptz NOT NULL DEFAULT now(),
    sealed_by   text NOT NULL DEFAULT session_user,
    CONSTRAINT audit_seals_range CHECK (first_id <= last_id)
);
CREATE INDEX audit_seals_table_idx ON shq.audit_seals (table_name, seal_id);
COMMENT ON TABLE shq.audit_seals IS
    'Append-only chain of SHA-256 seals over consecutive id ranges of each append-only table, written by shq.fn_seal_audit_tables and checked by shq.fn_verify_audit_seals (tamper evidence).';
COMMENT ON COLUMN shq.audit_seals.columns IS
    'The columns (in this order) whose values make up each row''s canonical text; recorded per seal so that adding a column later leaves old seals valid.';
COMMENT ON COLUMN shq.audit_seals.row_digest IS
    'sha256 of the concatenated sha256 digests of the canonical texts of the rows in the range, in id order.';
COMMENT ON COLUMN shq.audit_seals.digest IS
    'The chain link: sha256 of this seal''s fields and prev_digest (shq._audit_seal_digest). The newest digest of a table is its chain head.';

-- What a sanctioned deletion (outreach.fn_delete_outreach_cascade) removed
-- from an audited table: the full row, so that verification can still
-- recompute the digest of the seal that covered it.
CREATE TABLE shq.audit_seal_tombstones (
    tombstone_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name   text NOT NULL,
    row_id       bigint NOT NULL,
    row_data     jsonb NOT NULL,
    sanctioned   boolean NOT NULL,
    deleted_at   timestamptz NOT NULL DEFAULT now(),
    deleted_by   text NOT NULL DEFAULT session_user,
    deleted_as   text NOT NULL DEFAULT current_user
);
CREATE INDEX audit_seal_tombstones_row_idx ON shq.audit_seal_tombstones (table_name, row_id);
COMMENT ON TABLE shq.audit_seal_tombstones IS
    'Append-only: every row deleted from an audited table, with whether the deletion came from the sanctioned cascade; verification accepts a sealed row as deleted only through a sanctioned tombstone of a company no longer in the spine.';

GRANT SELECT ON shq.audit_seals, shq.audit_seal_tombstones TO outreach_governor;
