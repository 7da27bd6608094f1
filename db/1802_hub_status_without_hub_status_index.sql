-- company_hub_status loses its (hub_id, status) index: no hot path reads it,
-- and every hub status write paid for it (docs/reference/hubs.md, "Hub status").
-- - Its readers: the live state's counts per hub read every row of the table
--   either way (a scan of the table instead of the index), and the hub
--   registry's foreign key looks up a hub's rows when a registry row is
--   deleted or its key changed, which only a migration does.
-- - Its cost: a status change could never be a HOT update (the index holds
--   status), and the bulk evaluation's concurrent range sessions appended to
--   the same leaf pages (every row of one hub and status has the same key, so
--   new entries go to its end, by heap position, whoever writes them).
-- DROP INDEX takes the table's exclusive lock for a moment (no scan).
-- depends: 1801_unique_keys_carry_covered_columns
SET LOCAL search_path = pg_catalog, pg_temp;

DROP INDEX outreach.company_hub_status_hub_status_idx;
